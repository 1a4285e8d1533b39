// maptypes lists a Go binary's map types from its DWARF, the unit tests'
// oracle for heaptrace's reading of the type descriptors:
//
//	maptypes BINARY
//
// prints one line per map type: NAME<TAB>TABLE-UNIT-SIZE<TAB>POINTERS, where
// the unit is the bucket (Go 1.18-1.23: the size of DWARF's bucket<K,V>) or
// the group (1.24+: a control word and 8 key/elem slots, laid out from the
// key and elem types' DWARF sizes and alignments), and POINTERS is 1 when
// the key or the elem holds pointers (so the unit is scanned by the GC).
// Defined map types (type M map[K]V) are listed under their own name. Names
// are spelled as reflect spells them (package names, not paths).
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
)

const (
	attrGoKind = 0x2900
	attrGoKey  = 0x2901
	attrGoElem = 0x2902
	kindMap    = 21
	maxInline  = 128 // keys and elems above this are stored as pointers
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: maptypes BINARY")
		os.Exit(2)
	}
	f, err := elf.Open(os.Args[1])
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	d, err := f.DWARF()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	swiss := false
	buckets := map[string]int64{} // "K,V" -> size of bucket<K,V>
	type mapEnt struct {
		name      string
		key, elem dwarf.Offset
	}
	var maps []mapEnt
	named := map[string]dwarf.Offset{} // defined map type -> the map typedef it names
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		switch {
		case e.Tag == dwarf.TagStructType && strings.HasPrefix(name, "bucket<"):
			if t, err := d.Type(e.Offset); err == nil {
				buckets[strings.TrimSuffix(strings.TrimPrefix(name, "bucket<"), ">")] = t.Size()
			}
		case e.Tag == dwarf.TagStructType && strings.HasPrefix(name, "table<"):
			swiss = true
		case e.Tag == dwarf.TagTypedef:
			kind, _ := e.Val(attrGoKind).(int64)
			if kind != kindMap {
				continue
			}
			key, ok1 := e.Val(attrGoKey).(dwarf.Offset)
			elem, ok2 := e.Val(attrGoElem).(dwarf.Offset)
			if ok1 && ok2 {
				maps = append(maps, mapEnt{name, key, elem})
			} else if t, ok := e.Val(dwarf.AttrType).(dwarf.Offset); ok {
				named[name] = t
			}
		}
	}
	byOff := map[dwarf.Offset]int{}
	r = d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		for i := range maps {
			if maps[i].name == name && e.Tag == dwarf.TagTypedef {
				byOff[e.Offset] = i
			}
		}
	}
	var out []string
	seen := map[string]bool{}
	emit := func(name string, m mapEnt) {
		if seen[name] || strings.Contains(name, "go.shape.") {
			return
		}
		seen[name] = true
		k, _ := d.Type(m.key)
		v, _ := d.Type(m.elem)
		if k == nil || v == nil {
			return
		}
		ptrs := pointers(k) || pointers(v) || k.Size() > maxInline || v.Size() > maxInline
		var unit int64
		if swiss {
			unit = groupSize(k, v)
		} else {
			unit = buckets[entryName(d, m.key)+","+entryName(d, m.elem)]
			if unit == 0 {
				return // no bucket type in DWARF: nothing to compare with
			}
		}
		p := 0
		if ptrs {
			p = 1
		}
		out = append(out, fmt.Sprintf("%s\t%d\t%d", reflectName(name), unit, p))
	}
	for _, m := range maps {
		emit(m.name, m)
	}
	for name, off := range named {
		if i, ok := byOff[off]; ok {
			emit(name, maps[i])
		}
	}
	sort.Strings(out)
	for _, l := range out {
		fmt.Println(l)
	}
}

func stored(t dwarf.Type) (size, align int64) {
	if t.Size() > maxInline {
		return 8, 8
	}
	return t.Size(), alignOf(t)
}

// groupSize: internal/runtime/maps' group: a uint64 control word, then 8
// slots struct { key K; elem V }.
func groupSize(k, v dwarf.Type) int64 {
	ks, ka := stored(k)
	vs, va := stored(v)
	align := ka
	if va > align {
		align = va
	}
	if align < 1 {
		align = 1
	}
	off := (ks + va - 1) / va * va
	end := off + vs
	if vs == 0 {
		end++ // a zero-size last field is padded, so &elem stays inside the slot
	}
	slot := (end + align - 1) / align * align
	return 8 + 8*slot
}

func alignOf(t dwarf.Type) int64 {
	switch x := under(t).(type) {
	case *dwarf.StructType:
		a := int64(1)
		for _, f := range x.Field {
			if fa := alignOf(f.Type); fa > a {
				a = fa
			}
		}
		return a
	case *dwarf.ArrayType:
		if x.Count == 0 {
			return alignOf(x.Type)
		}
		return alignOf(x.Type)
	default:
		s := t.Size()
		switch {
		case s >= 8:
			return 8
		case s <= 0:
			return 1
		}
		return s
	}
}

func under(t dwarf.Type) dwarf.Type {
	for {
		td, ok := t.(*dwarf.TypedefType)
		if !ok {
			return t
		}
		t = td.Type
	}
}

func pointers(t dwarf.Type) bool {
	switch x := under(t).(type) {
	case *dwarf.PtrType, *dwarf.FuncType, *dwarf.UnspecifiedType:
		return true
	case *dwarf.StructType:
		for _, f := range x.Field {
			if pointers(f.Type) {
				return true
			}
		}
		return false
	case *dwarf.ArrayType:
		return x.Count > 0 && pointers(x.Type)
	}
	return false
}

var pkgPath = regexp.MustCompile(`([A-Za-z0-9_.\-]+/)+`)

// reflectName spells a DWARF type name as reflect's Type.String() and the
// runtime's type descriptors do: packages by name, not by path
// ("*encoding/json.field" -> "*json.field").
func reflectName(s string) string {
	return pkgPath.ReplaceAllString(s, "")
}

// entryName is the DW_AT_name of the type at off, as bucket<K,V> spells K and V.
func entryName(d *dwarf.Data, off dwarf.Offset) string {
	r := d.Reader()
	r.Seek(off)
	e, err := r.Next()
	if err != nil || e == nil {
		return ""
	}
	name, _ := e.Val(dwarf.AttrName).(string)
	return name
}
