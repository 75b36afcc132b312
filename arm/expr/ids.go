package expr

import (
	"crypto/rand"
	"crypto/sha1"
	"encoding/binary"
	"fmt"
	"math/bits"
	"strings"
)

func init() { coreGroups = append(coreGroups, idFuncs) }

// idFuncs derive names and identifiers. uniqueString and guid reproduce
// Azure's algorithms, so names generated here match those Azure generates.
var idFuncs = []*Func{
	{Name: "uniqueString", MinArgs: 1, MaxArgs: -1, Call: func(c *Context, args []any) (any, error) {
		s, err := joinWithDash("uniqueString", args)
		if err != nil {
			return nil, err
		}
		return UniqueString(s), nil
	}},
	{Name: "guid", MinArgs: 1, MaxArgs: -1, Call: func(c *Context, args []any) (any, error) {
		s, err := joinWithDash("guid", args)
		if err != nil {
			return nil, err
		}
		return GUID(s), nil
	}},
	{Name: "newGuid", MinArgs: 0, MaxArgs: 0, Call: func(c *Context, args []any) (any, error) {
		var b [16]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, Errorf("newGuid", "%v", err)
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		return formatUUID(b[:]), nil
	}},
}

// joinWithDash joins string arguments with '-', as uniqueString and guid
// do before hashing.
func joinWithDash(fn string, args []any) (string, error) {
	parts := make([]string, len(args))
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			return "", Errorf(fn, "the arguments must be strings, not %s (argument %d)", TypeName(a), i+1)
		}
		parts[i] = s
	}
	return strings.Join(parts, "-"), nil
}

// UniqueString returns ARM's uniqueString of s (the arguments already
// joined with '-'): Azure's 64-bit MurmurHash variant of the UTF-8 bytes,
// rendered as 13 base32 characters (a-z, 2-7) from the high bits down.
func UniqueString(s string) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz234567"
	h := murmurHash64([]byte(s))
	var out [13]byte
	for i := range out {
		out[i] = alphabet[h>>59]
		h <<= 5
	}
	return string(out[:])
}

// murmurHash64 is the MurmurHash variant of Microsoft's ResourceStack
// (ComputeHash.MurmurHash64) with seed 0: two 32-bit lanes over 8-byte
// blocks, finished with the MurmurHash3 32-bit mixer.
func murmurHash64(data []byte) uint64 {
	const (
		c1 = 0x239b961b
		c2 = 0xab0e9789
	)
	var h1, h2 uint32
	n := len(data)
	i := 0
	for ; i+7 < n; i += 8 {
		k1 := binary.LittleEndian.Uint32(data[i:])
		k2 := binary.LittleEndian.Uint32(data[i+4:])
		k1 *= c1
		k1 = bits.RotateLeft32(k1, 15)
		k1 *= c2
		h1 ^= k1
		h1 = bits.RotateLeft32(h1, 19)
		h1 += h2
		h1 = h1*5 + 0x561ccd1b
		k2 *= c2
		k2 = bits.RotateLeft32(k2, 17)
		k2 *= c1
		h2 ^= k2
		h2 = bits.RotateLeft32(h2, 13)
		h2 += h1
		h2 = h2*5 + 0x0bcaa747
	}
	if tail := n - i; tail > 0 {
		var k1 uint32
		for j := min(tail, 4) - 1; j >= 0; j-- {
			k1 = k1<<8 | uint32(data[i+j])
		}
		k1 *= c1
		k1 = bits.RotateLeft32(k1, 15)
		k1 *= c2
		h1 ^= k1
		if tail > 4 {
			var k2 uint32
			for j := tail - 1; j >= 4; j-- {
				k2 = k2<<8 | uint32(data[i+j])
			}
			k2 *= c2
			k2 = bits.RotateLeft32(k2, 17)
			k2 *= c1
			h2 ^= k2
		}
	}
	h1 ^= uint32(n)
	h2 ^= uint32(n)
	h1 += h2
	h2 += h1
	h1 = fmix32(h1)
	h2 = fmix32(h2)
	h1 += h2
	h2 += h1
	return uint64(h2)<<32 | uint64(h1)
}

func fmix32(h uint32) uint32 {
	h ^= h >> 16
	h *= 0x85ebca6b
	h ^= h >> 13
	h *= 0xc2b2ae35
	h ^= h >> 16
	return h
}

// armNamespace is the UUID namespace of ARM's guid function,
// 11fb06fb-712d-4ddd-98c7-e71bbd588830, in network byte order.
var armNamespace = [16]byte{0x11, 0xfb, 0x06, 0xfb, 0x71, 0x2d, 0x4d, 0xdd, 0x98, 0xc7, 0xe7, 0x1b, 0xbd, 0x58, 0x88, 0x30}

// GUID returns ARM's guid of s (the arguments already joined with '-'):
// the RFC 4122 version 5 (SHA-1, name-based) UUID of the UTF-8 bytes of s
// in the ARM namespace, in lower case.
func GUID(s string) string {
	h := sha1.New()
	h.Write(armNamespace[:])
	h.Write([]byte(s))
	sum := h.Sum(nil)
	b := sum[:16]
	b[6] = b[6]&0x0f | 0x50
	b[8] = b[8]&0x3f | 0x80
	return formatUUID(b)
}

func formatUUID(b []byte) string {
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
