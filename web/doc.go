// Package web serves sigtool's drafting UI and JSON API with gin: a form
// that builds one rule with live canonical preview and lint, a test page
// that runs rules over a capture and highlights what matched, a rules
// browser, and downloads (.rules and the export package's formats).
//
// Templates and static files are embedded, so the server works offline;
// only the static subtree is served. Handlers are methods on Server and
// every route is in routes.go. A Server is built once by New from Options
// and is safe for concurrent use: what New loads (templates, rulesets, the
// capture index) is read-only afterwards, and the only shared mutable
// state is the semaphore that bounds concurrent test runs. The package
// keeps no state of its own; gin's process-wide mode is left to the caller.
//
// Security model: loopback by default with a Host check; cross-origin
// browser posts refused and HTML forms CSRF-token protected; no filesystem
// path ever comes from a client (captures are picked by name from an
// index); uploads bounded and magic-checked; a CSP without inline script.
package web
