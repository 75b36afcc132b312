package baseline

import (
	"io/fs"
	"testing"
)

// BenchmarkLoadEmbedded measures loading the embedded catalog, strictly
// (as LoadFS does for users' catalogs) and as Load does.
func BenchmarkLoadEmbedded(b *testing.B) {
	sub, _ := fs.Sub(embedded, "data")
	for _, strict := range []bool{true, false} {
		b.Run(map[bool]string{true: "strict", false: "trusted"}[strict], func(b *testing.B) {
			for b.Loop() {
				if _, err := loadFS(sub, strict); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
