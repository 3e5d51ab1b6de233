package contracts

import ("testing";"fmt")

func TestScratch(t *testing.T) {
	for _, s := range []string{"x: 1\ny: 2\na: b: c\nz: 1\n", "x: 1\ny: [\nz: 1\n", "x: 1\ny: 'abc\nz: 1\n", "x: 1\n  y: 2\nz: 3\n", "x: 1\ny: *nope\n", "x: 1\n- a\n", "x: 1\ny: \"\\q\"\n","x:\n  - a\n  b: 1\n", "x: {a: 1\n\n\n"} {
		_, d := Parse("f.yaml", []byte(s))
		fmt.Printf("%q\n", s)
		for _, x := range d { fmt.Println("  ", x.Error()) }
	}
}
