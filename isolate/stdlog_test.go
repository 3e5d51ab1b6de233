package isolate

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

// TestStdLogWriter: lines of the log package (hclog-style prefixes among them) are
// logged at the level of their prefix, so a host's DEBUG noise stays out
// of an Info log, and a handler's plain log.Printf line stays in it.
func TestStdLogWriter(t *testing.T) {
	tests := []struct {
		line, want string // want "" when nothing is logged at Info
	}{
		{"[DEBUG] plugin: plugin server: accept unix /tmp/plugin1: use of closed network connection\n", ""},
		{"[TRACE] detail\n", ""},
		{"[INFO] started\n", `level=INFO msg=started`},
		{"[WARN] slow\n", `level=WARN msg=slow`},
		{"[ERR] plugin: broke\n", `level=ERROR msg="plugin: broke"`},
		{"[ERROR] broke\n", `level=ERROR msg=broke`},
		{"a handler's own line\n", `level=INFO msg="a handler's own line"`},
		{"[DEBUGGING] not a prefix\n", `level=INFO msg="[DEBUGGING] not a prefix"`},
	}
	for _, tt := range tests {
		var buf bytes.Buffer
		w := stdLogWriter{slog.New(slog.NewTextHandler(&buf, &slog.HandlerOptions{
			ReplaceAttr: func(_ []string, a slog.Attr) slog.Attr {
				if a.Key == slog.TimeKey {
					return slog.Attr{}
				}
				return a
			},
		}))}
		if n, err := w.Write([]byte(tt.line)); n != len(tt.line) || err != nil {
			t.Errorf("Write(%q) = %d, %v", tt.line, n, err)
		}
		if got := strings.TrimSpace(buf.String()); got != tt.want {
			t.Errorf("%q logged %q, want %q", tt.line, got, tt.want)
		}
	}
}
