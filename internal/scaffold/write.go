package scaffold

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// Write creates the planned files. A file that exists by then is not
// replaced: Write stops, removes the files and directories it created,
// and returns the error.
func (s *Scaffold) Write() (err error) {
	var created []string // files, then directories, in creation order
	defer func() {
		if err != nil {
			for _, p := range slices.Backward(created) {
				os.Remove(p)
			}
		}
	}()
	for _, f := range s.Files {
		p := filepath.Join(s.Dir, filepath.FromSlash(f.Path))
		var dirs []string
		for d := filepath.Dir(p); d != s.Dir; d = filepath.Dir(d) {
			if _, err := os.Lstat(d); err == nil {
				break
			}
			dirs = append(dirs, d)
		}
		for _, d := range slices.Backward(dirs) {
			if err := os.Mkdir(d, 0o777); err != nil {
				return err
			}
			created = append(created, d)
		}
		fh, err := os.OpenFile(p, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o666)
		if err != nil {
			if errors.Is(err, os.ErrExist) {
				return fmt.Errorf("%s exists; handlergen new never replaces a file", f.Path)
			}
			return err
		}
		created = append(created, p)
		_, err = fh.Write(f.Data)
		if cerr := fh.Close(); err == nil {
			err = cerr
		}
		if err != nil {
			return err
		}
	}
	return nil
}
