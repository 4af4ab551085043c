// Package web serves sigtool's drafting UI and JSON API with gin. Templates
// and static files are embedded, so the server works offline.
package web
