// dwarflayout prints struct sizes and field offsets from a Go binary's DWARF,
// the oracle the unit tests check heaptrace's layout table against.
//
//	dwarflayout BINARY TYPE[.FIELD[.FIELD...]]...
//
// prints one line per argument: the argument, then the offset and size of
// the field (or the size of the type, or the value of a constant such as
// runtime.minSizeForMallocHeader), or "-" when the binary has no such type,
// field or constant.
package main

import (
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
	"strings"
)

func main() {
	if len(os.Args) < 3 {
		fmt.Fprintln(os.Stderr, "usage: dwarflayout BINARY TYPE[.FIELD...]...")
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
	types := map[string]dwarf.Type{}
	consts := map[string]int64{}
	r := d.Reader()
	for {
		e, err := r.Next()
		if err != nil || e == nil {
			break
		}
		name, _ := e.Val(dwarf.AttrName).(string)
		if e.Tag == dwarf.TagConstant {
			if v, ok := e.Val(dwarf.AttrConstValue).(int64); ok && name != "" {
				consts[name] = v
			}
			continue
		}
		if e.Tag != dwarf.TagStructType && e.Tag != dwarf.TagTypedef {
			continue
		}
		if name == "" {
			continue
		}
		if _, seen := types[name]; seen {
			continue
		}
		if t, err := d.Type(e.Offset); err == nil {
			types[name] = t
		}
	}
	for _, q := range os.Args[2:] {
		if v, ok := consts[q]; ok {
			fmt.Println(q, v)
			continue
		}
		fmt.Println(q, lookup(types, q))
	}
}

// lookup resolves "pkg.Type.field.field": the type name is the longest
// prefix that names a type.
func lookup(types map[string]dwarf.Type, q string) string {
	parts := strings.Split(q, ".")
	for i := len(parts); i > 0; i-- {
		t, ok := types[strings.Join(parts[:i], ".")]
		if !ok {
			continue
		}
		off := int64(0)
		for _, field := range parts[i:] {
			st, ok := underlying(t).(*dwarf.StructType)
			if !ok {
				return "-"
			}
			var found *dwarf.StructField
			for _, fl := range st.Field {
				if fl.Name == field {
					found = fl
				}
			}
			if found == nil {
				return "-"
			}
			off += found.ByteOffset
			t = found.Type
		}
		if i == len(parts) {
			return fmt.Sprint(t.Size())
		}
		return fmt.Sprint(off, " ", t.Size())
	}
	return "-"
}

func underlying(t dwarf.Type) dwarf.Type {
	for {
		td, ok := t.(*dwarf.TypedefType)
		if !ok {
			return t
		}
		t = td.Type
	}
}
