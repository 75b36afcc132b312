package jsonpos_test

import (
	"fmt"

	"github.com/pgbaseline/pgbaseline/jsonpos"
)

// Skim outlines a large document without decoding it; a Decoder then
// decodes the parts wanted, one at a time, with the document's lines.
func ExampleSkim() {
	data := []byte(`{
  "value": [
    {"id": "/a", "type": "T/x", "properties": {"n": 1}},
    {"id": "/b", "type": "T/x", "properties": {"n": 2}}
  ]
}`)
	out, err := jsonpos.Skim(data, func(name string) bool { return name == "id" })
	if err != nil {
		panic(err)
	}
	dec := jsonpos.NewDecoder(data)
	for _, el := range out.Members[0].Elements {
		id, _ := jsonpos.String(data, el.Members[0].Value)
		v, err := dec.Decode(el.Span)
		if err != nil {
			panic(err)
		}
		props := v.(map[string]any)["properties"]
		line, _ := dec.Index().MemberLine(v.(map[string]any), "properties")
		fmt.Println(id, props, "line", line)
	}
	// Output:
	// /a map[n:1] line 3
	// /b map[n:2] line 4
}
