package cicheck

import "testing"

func TestLines(t *testing.T) {
	for _, tt := range []struct {
		out         string
		annotations bool
		bad         bool
	}{
		{"a/b.yaml:1:2: HANDLER_LOADER_003: unknown key\n\tc.yaml:3: first here\n", false, false},
		{"+\tfunc f() {}\n", false, false},
		{"::stop-commands::x\n", false, true},
		{"  ::error::x\n", false, true},
		{"\u3000::error::x\n", false, true},
		{"x ##vso[task.complete]\n", false, true},
		{"x ##[error]y\n", false, true},
		{"red \x1b[31m\n", false, true},
		{"cr \r\n", false, true},
		{"bidi \u202e\n", false, true},
		{"nel \u0085\n", false, true},
		{"bad \xff\n", false, true},
		{"\ufffd replacement\n", false, false},
		{"::error file=a/b.yaml,line=2,col=1,title=HANDLER_LOADER_003::unknown key %25 %0A x::y\n", true, false},
		{"::warning title=HANDLER_LOADER_016::w\n", true, false},
		{"::error file=a:b.yaml,title=T::m\n", true, true},
		{"::error file=a,b.yaml,title=T::m\n", true, true},
		{"::error title=T::100% sure\n", true, true},
		{"::error line=x::m\n", true, true},
		{"::stop-commands::x\n", true, true},
		{"::error file=a.yaml,file=b.yaml::m\n", true, true},
	} {
		if bad := Lines(tt.out, tt.annotations); (bad != nil) != tt.bad {
			t.Errorf("Lines(%q, %v) = %q, want bad %v", tt.out, tt.annotations, bad, tt.bad)
		}
	}
}
