package serve

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strings"
	"time"

	"github.com/pgbaseline/pgbaseline/report"
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// pageNames are the dashboard's pages, one template file each.
var pageNames = []string{"signin", "error", "overview", "trend", "scans", "scan", "finding", "resources", "resource", "server", "diff"}

type pages struct{ t map[string]*template.Template }

var templateFuncs = template.FuncMap{
	"statusClass": func(s report.Status) string { return "st-" + string(s) },
	"time": func(t any) string {
		switch v := t.(type) {
		case time.Time:
			if v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		case *time.Time:
			if v == nil || v.IsZero() {
				return "—"
			}
			return v.UTC().Format("2006-01-02 15:04:05 UTC")
		}
		return ""
	},
	"statuses": func() []report.Status { return report.Statuses },
	"count":    func(m map[report.Status]int, s report.Status) int { return m[s] },
	"json": func(v any) string {
		if s, ok := v.(string); ok {
			return s
		}
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			return fmt.Sprint(v)
		}
		return string(b)
	},
	"lower": strings.ToLower,
	// signed writes a change with its sign: +3, −2 (a minus sign), 0.
	"signed": func(n int) string {
		switch {
		case n > 0:
			return fmt.Sprintf("+%d", n)
		case n < 0:
			return fmt.Sprintf("\u2212%d", -n)
		}
		return "0"
	},
	"upper": strings.ToUpper,
	// message is a result's message without empty field names or
	// repeated clauses (report.CleanMessage).
	"message": report.CleanMessage,
	"total": func(m map[report.Status]int) int {
		n := 0
		for _, v := range m {
			n += v
		}
		return n
	},
}

func loadPages() (*pages, error) {
	p := &pages{t: map[string]*template.Template{}}
	for _, name := range pageNames {
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(templateFS, "templates/layout.html", "templates/"+name+".html")
		if err != nil {
			return nil, fmt.Errorf("serve: template %s: %w", name, err)
		}
		p.t[name] = t
	}
	return p, nil
}

// view is what every page template gets.
type view struct {
	Title   string
	Nav     string
	User    string
	Role    Role
	Admin   bool
	CSRF    string
	Version string
	Data    any
}

// render writes a page; data is the page's own part of the view.
func (s *Server) render(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	s.renderView(w, r, code, name, "", data)
}

func (s *Server) renderView(w http.ResponseWriter, r *http.Request, code int, name, title string, data any) {
	v := view{Title: title, Nav: name, Version: s.version, Data: data}
	if p := principalFrom(r.Context()); p.name != "" {
		v.User, v.Role, v.Admin = p.name, p.role, p.role == RoleAdmin
		if p.session != nil {
			v.CSRF = p.session.csrf
		}
	}
	t := s.pages.t[name]
	var buf bytes.Buffer
	if err := t.Execute(&buf, v); err != nil {
		s.log.Error("template failed", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write(buf.Bytes())
}

type errorData struct {
	Code    int
	Message string
}

func (s *Server) pageError(w http.ResponseWriter, r *http.Request, code int, msg string) {
	s.renderView(w, r, code, "error", http.StatusText(code), errorData{Code: code, Message: msg})
}

func staticHandler() http.Handler {
	sub, err := fs.Sub(staticFS, "static")
	if err != nil {
		panic(err) // the embedded tree is fixed at build time
	}
	fileServer := http.StripPrefix("/static/", http.FileServer(http.FS(sub)))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if strings.HasSuffix(r.URL.Path, "/") {
			http.NotFound(w, r) // no directory listings
			return
		}
		w.Header().Set("Cache-Control", "public, max-age=3600")
		fileServer.ServeHTTP(w, r)
	})
}
