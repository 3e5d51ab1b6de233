package scaffold

import (
	"errors"
	"fmt"
	"go/token"
	"os"
	"path/filepath"
	"strings"
	"unicode"

	"github.com/handlergen/handlergen/internal/modtree"
	"github.com/handlergen/handlergen/internal/pathx"
)

// names derives the package name and the type name from the handler's
// name: send-email gives package sendemail and type SendEmail.
func names(name string) (pkg, typ string, err error) {
	var p, t strings.Builder
	upper := true
	for _, r := range name {
		switch {
		case r < unicode.MaxASCII && (unicode.IsLetter(r) || unicode.IsDigit(r)):
			p.WriteRune(unicode.ToLower(r))
			if upper {
				r = unicode.ToUpper(r)
			}
			t.WriteRune(r)
			upper = false
		case r == '-' || r == '_' || r == '.':
			upper = true
		default:
			return "", "", fmt.Errorf("handler name %q: use ASCII letters, digits, '-', '_' and '.'", name)
		}
	}
	pkg, typ = p.String(), t.String()
	if !token.IsIdentifier(pkg) || pkg == "main" || !token.IsIdentifier(typ) || !unicode.IsUpper(rune(typ[0])) {
		return "", "", fmt.Errorf("handler name %q does not give a package name and an exported type name (it must start with a letter and not be a Go keyword or main)", name)
	}
	return pkg, typ, nil
}

// below checks the directories from dir down to the new package (rel,
// relative to dir): each is created, or is a real directory of the same
// module that the go command's ./... and handlergen's discovery enter. A
// symbolic link is refused even when it stays in the module: the write
// would follow it (out of the module, possibly) while neither ./... nor
// the directive's walk does, so the handler would never be registered.
func below(dir, rel string) error {
	elems := strings.Split(filepath.ToSlash(rel), "/")
	for i, e := range elems {
		sub := strings.Join(elems[:i+1], "/")
		if modtree.SkipDir(e) || modtree.Leaf(e) {
			return fmt.Errorf("%s: the go command and handlergen skip directories named testdata or vendor or starting with . or _, so the handler would never be registered", sub)
		}
	}
	for i := range elems {
		sub := strings.Join(elems[:i+1], "/")
		p := filepath.Join(dir, filepath.FromSlash(sub))
		fi, err := os.Lstat(p)
		if errors.Is(err, os.ErrNotExist) {
			return nil // the rest is created
		}
		if err != nil {
			return fmt.Errorf("%s: %v", sub, pathx.Pathless(err))
		}
		switch {
		case fi.Mode()&os.ModeSymlink != 0:
			return fmt.Errorf("%s is a symbolic link; handlergen new writes only into the module's own directories", sub)
		case !fi.IsDir():
			if i == len(elems)-1 {
				return nil // empty says what is wrong with the target itself
			}
			return fmt.Errorf("%s is not a directory", sub)
		}
		if modtree.IsModule(os.Stat, p) {
			return fmt.Errorf("%s is another module (it has a go.mod); run handlergen new in that module", sub)
		}
	}
	return nil
}

// empty refuses a target that exists unless it is an empty directory.
func empty(dir, name string) error {
	fi, err := os.Lstat(dir)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("%s: %v", name, pathx.Pathless(err))
	}
	if !fi.IsDir() {
		return fmt.Errorf("%s exists and is not a directory; handlergen new never replaces a file", name)
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("%s: %v", name, pathx.Pathless(err))
	}
	if len(ents) > 0 {
		return fmt.Errorf("%s exists and is not empty; handlergen new writes only into a new or empty directory", name)
	}
	return nil
}
