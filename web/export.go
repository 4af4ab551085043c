package web

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strconv"

	"github.com/gin-gonic/gin"
	"github.com/sigtool/sigtool/sigparse"
)

// Exporter is a download the draft page offers beside the plain .rules
// file; package export provides the ET submission bundle and the firewall
// translations, and cmd/sigtool wires them in through Options.Exporters.
type Exporter struct {
	Name        string // URL segment: /export/NAME; [a-z0-9-]+
	Label       string // button text
	Filename    string // suggested download name
	ContentType string
	// Write writes the export of the parsed, enabled rules to w. pcaps
	// are the server-side paths of the corpus capture chosen in the form
	// (none when the user chose none or uploaded one), for exports that
	// bundle evidence. ctx ends with the request or after RunTimeout.
	Write func(ctx context.Context, w io.Writer, rules []*sigparse.Rule, pcaps []string) error
}

func validExporterName(s string) bool {
	if s == "" {
		return false
	}
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
			return false
		}
	}
	return true
}

// exportSubmit is POST /export/NAME from the draft or test form: the
// rules text must parse without errors; the answer is a download.
func (s *Server) exportSubmit(c *gin.Context) {
	name := c.Param("name")
	var ex *Exporter
	for i := range s.opts.Exporters {
		if s.opts.Exporters[i].Name == name {
			ex = &s.opts.Exporters[i]
		}
	}
	if name != "rules" && ex == nil {
		s.renderError(c, http.StatusNotFound, fmt.Sprintf("There is no export format %q.", name), nil)
		return
	}
	// The draft form also carries its capture fields; an upload in them is
	// bounded like any other but otherwise ignored.
	c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, s.opts.MaxUpload+maxRulesText)
	if err := c.Request.ParseMultipartForm(8 << 20); err != nil && err != http.ErrNotMultipart {
		s.renderError(c, http.StatusBadRequest, "reading the form: "+err.Error(), nil)
		return
	}
	if !s.checkCSRF(c) {
		s.renderError(c, http.StatusForbidden, "the form's CSRF token is missing or stale; reload the page and try again", nil)
		return
	}
	text := c.PostForm("rules")
	f, errs := parseDraft(text)
	if len(errs) > 0 {
		s.renderError(c, http.StatusUnprocessableEntity, "The rules have errors; fix them before exporting.", errorStrings(errs))
		return
	}
	if f == nil || len(f.Rules) == 0 {
		s.renderError(c, http.StatusUnprocessableEntity, "There is no rule to export.", nil)
		return
	}
	var buf bytes.Buffer
	filename, ctype := "local.rules", "text/plain; charset=utf-8"
	if ex == nil {
		out, err := canonical(f.Rules)
		if err != nil {
			s.renderError(c, http.StatusUnprocessableEntity, err.Error(), nil)
			return
		}
		buf.WriteString(out)
		if len(f.Rules) == 1 && f.Rules[0].SID() > 0 {
			filename = strconv.Itoa(f.Rules[0].SID()) + ".rules"
		}
	} else {
		var enabled []*sigparse.Rule
		for _, r := range f.Rules {
			if !r.Disabled {
				enabled = append(enabled, r)
			}
		}
		var pcaps []string
		if p, ok := s.corpus.lookup(c.PostForm("pcap")); ok {
			pcaps = append(pcaps, p.Path)
		} else if fh, err := c.FormFile("upload"); err == nil && fh.Size > 0 {
			// An uploaded capture goes to the exporter as a temporary file
			// under its own base name, removed when the download is written.
			path, cleanup, err := s.saveUpload(fh)
			if err != nil {
				s.renderHTTPError(c, err, nil)
				return
			}
			defer cleanup()
			pcaps = append(pcaps, path)
		}
		ctx, cancel := context.WithTimeout(c.Request.Context(), s.opts.RunTimeout)
		defer cancel()
		if err := ex.Write(ctx, &buf, enabled, pcaps); err != nil {
			s.renderError(c, http.StatusUnprocessableEntity, err.Error(), nil)
			return
		}
		filename, ctype = ex.Filename, ex.ContentType
		if ctype == "" {
			ctype = "application/octet-stream"
		}
	}
	c.Header("Content-Disposition", fmt.Sprintf("attachment; filename=%q", filename))
	c.Data(http.StatusOK, ctype, buf.Bytes())
}

// saveUpload checks an uploaded capture's magic and copies it to a fresh
// temporary folder, keeping only the base of the client's file name.
func (s *Server) saveUpload(fh *multipart.FileHeader) (path string, cleanup func(), err error) {
	if fh.Size > s.opts.MaxUpload {
		return "", nil, errStatus(http.StatusRequestEntityTooLarge, "upload over the limit of %d bytes", s.opts.MaxUpload)
	}
	f, err := fh.Open()
	if err != nil {
		return "", nil, errStatus(http.StatusBadRequest, "reading the upload: %v", err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, _ := io.ReadFull(f, head)
	if err := checkPcapMagic(head[:n]); err != nil {
		return "", nil, errStatus(http.StatusUnsupportedMediaType, "%s: %v", uploadName(fh.Filename), err)
	}
	dir, err := os.MkdirTemp("", "sigtool-upload-")
	if err != nil {
		return "", nil, err
	}
	cleanup = func() { os.RemoveAll(dir) }
	name := uploadName(fh.Filename)
	if name == "." || name == ".." || !isCaptureName(name) {
		name = "upload.pcap"
	}
	path = filepath.Join(dir, name)
	out, err := os.Create(path)
	if err == nil {
		_, err = io.Copy(out, io.MultiReader(bytes.NewReader(head[:n]), f))
		if cerr := out.Close(); err == nil {
			err = cerr
		}
	}
	if err != nil {
		cleanup()
		return "", nil, err
	}
	return path, cleanup, nil
}
