package gen

import (
	"io/fs"
	"strconv"
	"syscall"
)

// fileIdentity is what names a file's content on this system besides its
// size and modification time: its device, inode and change time, which
// no copy, archive or rename keeps.
func fileIdentity(fi fs.FileInfo) string {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return ""
	}
	return strconv.FormatUint(uint64(st.Dev), 10) + ":" + strconv.FormatUint(st.Ino, 10) + ":" + strconv.FormatInt(st.Ctim.Nano(), 10)
}
