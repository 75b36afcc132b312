package jsonpos

import (
	"fmt"
	"unicode/utf8"
)

// JSON text must be UTF-8 (RFC 8259, section 8.1), and Azure Resource
// Manager rejects templates and parameter files in other encodings. A
// UTF-8 byte order mark, which PowerShell and some editors write, is
// accepted and skipped.
//
// A document with bytes that are not UTF-8 (Latin-1 or Windows-1252
// text, most often) still decodes, each invalid byte becoming U+FFFD, so
// that a reader keeps what it can read; CheckUTF8 tells the reader to say
// so. A UTF-16 document cannot be read at all and is a SyntaxError.

// EncodingError says where a document stops being UTF-8.
type EncodingError struct {
	Offset int  // byte offset of the first invalid byte
	Line   int  // 1-based line
	Column int  // 1-based column, in bytes
	Byte   byte // the first invalid byte
}

func (e *EncodingError) Error() string {
	return fmt.Sprintf("not UTF-8 at line %d, column %d: byte 0x%02X is not valid UTF-8 (the file may be Latin-1 or Windows-1252); "+
		"JSON must be UTF-8 (RFC 8259), as Azure requires, so save the file as UTF-8. "+
		"The rest of the file is read, with each invalid byte as U+FFFD", e.Line, e.Column, e.Byte)
}

// CheckUTF8 returns an *EncodingError naming the first byte of data that
// is not UTF-8, or nil when data is UTF-8.
func CheckUTF8(data []byte) error {
	if utf8.Valid(data) {
		return nil
	}
	line, lineStart := 1, 0
	for i := 0; i < len(data); {
		c := data[i]
		if c < utf8.RuneSelf {
			if c == '\n' {
				line++
				lineStart = i + 1
			}
			i++
			continue
		}
		r, n := utf8.DecodeRune(data[i:])
		if r == utf8.RuneError && n <= 1 {
			return &EncodingError{Offset: i, Line: line, Column: i - lineStart + 1, Byte: c}
		}
		i += n
	}
	return nil
}

// utf16Error returns a SyntaxError when data is UTF-16: it starts with a
// UTF-16 byte order mark, or with '{', '[' or white space and a zero byte
// beside it.
func utf16Error(data []byte) error {
	if len(data) < 2 {
		return nil
	}
	opens := func(c byte) bool { return c == '{' || c == '[' || c == ' ' || c == '\t' || c == '\r' || c == '\n' }
	bom := data[0] == 0xFF && data[1] == 0xFE || data[0] == 0xFE && data[1] == 0xFF
	if !bom && !(opens(data[0]) && data[1] == 0) && !(data[0] == 0 && opens(data[1])) {
		return nil
	}
	return &SyntaxError{Offset: 0, Line: 1, Column: 1,
		Msg: "the file is UTF-16, not UTF-8; JSON must be UTF-8 (RFC 8259), as Azure requires: save the file as UTF-8 " +
			"(in PowerShell, Out-File -Encoding utf8 or Set-Content -Encoding utf8)"}
}
