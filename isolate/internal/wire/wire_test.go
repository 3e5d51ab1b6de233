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

// FuzzDecodeMeta: a call's or reply's meta comes from the other process,
// which may be anything by then: decoding never panics, and what decodes
// encodes back to the same meta.
func FuzzDecodeMeta(f *testing.F) {
	f.Add((&Call{ID: 1, Method: "Execute", Name: "h", Correlation: uuid.New(), Timeout: time.Second}).AppendMeta(nil))
	r, _ := (&Reply{Instance: 2, Health: true, Err: &Error{Code: 52, Message: "m"}}).AppendMeta(nil)
	f.Add(r)
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		var c Call
		if c.DecodeMeta(b) == nil {
			var again Call
			if err := again.DecodeMeta(c.AppendMeta(nil)); err != nil || !reflect.DeepEqual(again, c) {
				t.Errorf("call %+v: round trip gives %+v, %v", c, again, err)
			}
		}
		var r Reply
		if r.DecodeMeta(b) == nil {
			enc, err := r.AppendMeta(nil)
			if err != nil {
				return // an Err that decoded but does not encode again
			}
			var again Reply
			if err := again.DecodeMeta(enc); err != nil || !reflect.DeepEqual(again, r) {
				t.Errorf("reply %+v: round trip gives %+v, %v", r, again, err)
			}
		}
	})
}
