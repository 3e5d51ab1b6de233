package wire

import (
	"reflect"
	"testing"
	"time"

	"github.com/google/uuid"
)

func TestBinaryRoundTrip(t *testing.T) {
	c := Call{ID: 7, Method: "Execute", Name: "a/b", Instance: 3, Correlation: uuid.New(), Timeout: time.Hour}
	var got Call
	if err := got.DecodeMeta(c.AppendMeta(nil)); err != nil || !reflect.DeepEqual(got, c) {
		t.Errorf("call: got %+v, %v; want %+v", got, err, c)
	}
	b := c.AppendMeta(nil)
	for i := range len(b) - 1 {
		if err := new(Call).DecodeMeta(b[:i]); err == nil {
			t.Errorf("call cut at %d bytes: no error", i)
		}
	}
	for _, r := range []Reply{
		{Instance: 9, Health: true},
		{Err: &Error{Code: 52, Name: "n", Message: "boom", Panic: true, Stack: []byte("stack"), Suggestions: []string{"x"}}},
	} {
		b, err := r.AppendMeta(nil)
		if err != nil {
			t.Fatal(err)
		}
		var got Reply
		if err := got.DecodeMeta(b); err != nil || !reflect.DeepEqual(got, r) {
			t.Errorf("reply: got %+v, %v; want %+v", got, err, r)
		}
	}
	if err := new(Reply).DecodeMeta(make([]byte, 8)); err == nil {
		t.Error("short reply: no error")
	}
}
