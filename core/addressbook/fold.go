package addressbook

import (
	"strings"
	"unicode"
)

// Fold returns the search key of s, so that a search finds what a person expects:
//
//  1. Composition of the decomposed letters Swedish (and its neighbours) use: a, o, e,
//     u, y, n and their capitals followed by U+030A RING ABOVE, U+0308 DIAERESIS,
//     U+0301 ACUTE, U+0300 GRAVE or U+0303 TILDE become the precomposed letter (å, ä, ö,
//     é, ü …), as Unicode NFC would. The standard library has no general NFC, and core
//     may not import golang.org/x/text, so only these pairs are composed; other
//     combining marks are kept as they are.
//  2. Simple Unicode case folding (every rune becomes the smallest rune of its
//     unicode.SimpleFold orbit, so Å/å, Ä/ä, Ö/ö and even K/k/U+212A KELVIN match),
//     plus ß → ss (full folding).
//  3. Runs of white space become one space; leading and trailing space is dropped.
//
// å, ä and ö stay distinct from a and o: in Swedish they are separate letters, so
// "ol" does not find "Öl".
func Fold(s string) string {
	var b strings.Builder
	b.Grow(len(s))
	rs := []rune(s)
	space := false
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		if i+1 < len(rs) {
			if c, ok := compose(r, rs[i+1]); ok {
				r = c
				i++
			}
		}
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		if r == 'ß' || r == 'ẞ' {
			b.WriteString("ss")
			continue
		}
		b.WriteRune(foldRune(r))
	}
	return b.String()
}

func foldRune(r rune) rune {
	min := r
	for f := unicode.SimpleFold(r); f != r; f = unicode.SimpleFold(f) {
		if f < min {
			min = f
		}
	}
	return unicode.ToLower(min) // the same for every member of the orbit
}

func compose(base, mark rune) (rune, bool) {
	type pair struct{ b, m rune }
	var table = [...]struct {
		p pair
		c rune
	}{
		{pair{'a', 0x30A}, 'å'}, {pair{'A', 0x30A}, 'Å'},
		{pair{'a', 0x308}, 'ä'}, {pair{'A', 0x308}, 'Ä'},
		{pair{'o', 0x308}, 'ö'}, {pair{'O', 0x308}, 'Ö'},
		{pair{'u', 0x308}, 'ü'}, {pair{'U', 0x308}, 'Ü'},
		{pair{'y', 0x308}, 'ÿ'},
		{pair{'e', 0x301}, 'é'}, {pair{'E', 0x301}, 'É'},
		{pair{'a', 0x301}, 'á'}, {pair{'A', 0x301}, 'Á'},
		{pair{'e', 0x300}, 'è'}, {pair{'E', 0x300}, 'È'},
		{pair{'a', 0x300}, 'à'}, {pair{'A', 0x300}, 'À'},
		{pair{'n', 0x303}, 'ñ'}, {pair{'N', 0x303}, 'Ñ'},
	}
	for _, t := range table {
		if t.p == (pair{base, mark}) {
			return t.c, true
		}
	}
	return 0, false
}

// Match reports whether query, folded, is a prefix of text, folded, or of one of its
// words (words are separated by space, "-", "/", "(" and ","). So "göte" finds
// "Göteborgs Stad", "STAD" finds it too, and "Ö" finds "Örebro kommun".
func Match(text, query string) bool {
	q := Fold(query)
	if q == "" {
		return true
	}
	t := Fold(text)
	if strings.HasPrefix(t, q) {
		return true
	}
	for i, r := range t {
		if r == ' ' || r == '-' || r == '/' || r == '(' || r == ',' {
			if strings.HasPrefix(t[i+1:], q) {
				return true
			}
		}
	}
	return false
}

// Less orders two texts for listing: by Fold key in Swedish alphabetical order (the
// letters å, ä, ö follow z, in that order, with æ sorted as ä and ø as ö), then byte-wise.
func Less(a, b string) bool {
	fa, fb := []rune(Fold(a)), []rune(Fold(b))
	for i := 0; i < len(fa) && i < len(fb); i++ {
		wa, wb := weight(fa[i]), weight(fb[i])
		if wa != wb {
			return wa < wb
		}
	}
	if len(fa) != len(fb) {
		return len(fa) < len(fb)
	}
	return a < b
}

func weight(r rune) rune {
	switch r {
	case 'å':
		return 'z' + 1
	case 'ä', 'æ':
		return 'z' + 2
	case 'ö', 'ø':
		return 'z' + 3
	}
	if r > 'z' {
		return r + 3 // keep every other rune after the Swedish letters, in code point order
	}
	return r
}
