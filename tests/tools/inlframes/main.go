// inlframes prints the logical frames (inlined calls expanded) at code
// addresses of a Go binary, from its DWARF: the compile unit's line table
// gives the innermost file:line, DW_TAG_inlined_subroutine entries (their
// ranges, abstract origin and DW_AT_call_file/line) give the chain. It reads
// nothing heaptrace reads (no pclntab), so it is the unit tests' independent
// oracle for the inline tree.
//
//	inlframes BINARY < PCS
//
// For each hex address on stdin it prints one line:
//
//	0xADDR FUNC FILE:LINE [| FUNC FILE:LINE]...
//
// innermost first, or "0xADDR ?" when no subprogram covers the address.
package main

import (
	"bufio"
	"debug/dwarf"
	"debug/elf"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
)

type inl struct {
	ranges   [][2]uint64
	name     string
	callFile string
	callLine int64
	children []*inl
}

type cu struct {
	entry  *dwarf.Entry
	ranges [][2]uint64
	subs   []*inl // subprograms: name, ranges, inlined children
}

type frame struct {
	name string
	file string
	line int64
}

func contains(rs [][2]uint64, pc uint64) bool {
	for _, r := range rs {
		if pc >= r[0] && pc < r[1] {
			return true
		}
	}
	return false
}

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: inlframes BINARY < PCS")
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
	names := map[dwarf.Offset]string{} // abstract subprograms
	var cus []*cu
	var files []*dwarf.LineFile
	r := d.Reader()
	var cur *cu
	var stack []*inl // open inlined_subroutine / subprogram entries by depth
	var depth []int
	level := 0
	for {
		e, err := r.Next()
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			os.Exit(1)
		}
		if e == nil {
			break
		}
		if e.Tag == 0 {
			level--
			for len(depth) > 0 && depth[len(depth)-1] >= level {
				depth = depth[:len(depth)-1]
				stack = stack[:len(stack)-1]
			}
			continue
		}
		if e.Tag == dwarf.TagCompileUnit {
			rs, _ := d.Ranges(e)
			cur = &cu{entry: e, ranges: rs}
			cus = append(cus, cur)
			lr, err := d.LineReader(e)
			files = nil
			if err == nil && lr != nil {
				files = lr.Files()
			}
			stack, depth, level = nil, nil, 0
			if e.Children {
				level = 1
			}
			continue
		}
		switch e.Tag {
		case dwarf.TagSubprogram:
			name, _ := e.Val(dwarf.AttrName).(string)
			if ao, ok := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset); ok && name == "" {
				name = names[ao]
			}
			if inline, _ := e.Val(dwarf.AttrInline).(int64); inline != 0 {
				names[e.Offset] = name
			}
			rs, _ := d.Ranges(e)
			s := &inl{ranges: rs, name: name}
			if len(rs) > 0 && cur != nil {
				cur.subs = append(cur.subs, s)
			}
			if e.Children {
				stack = append(stack, s)
				depth = append(depth, level)
			}
		case dwarf.TagInlinedSubroutine:
			ao, _ := e.Val(dwarf.AttrAbstractOrigin).(dwarf.Offset)
			rs, _ := d.Ranges(e)
			s := &inl{ranges: rs, name: names[ao]}
			if s.name == "" {
				// the abstract subprogram may come later in the unit
				s.name = fmt.Sprintf("@%d", ao)
			}
			if cf, ok := e.Val(dwarf.AttrCallFile).(int64); ok && cf >= 0 && int(cf) < len(files) && files[cf] != nil {
				s.callFile = files[cf].Name
			}
			s.callLine, _ = e.Val(dwarf.AttrCallLine).(int64)
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.children = append(p.children, s)
			}
			if e.Children {
				stack = append(stack, s)
				depth = append(depth, level)
			}
		}
		if e.Children {
			level++
		}
	}
	// names of abstract origins that came after their inlined copies
	var fix func(s *inl)
	fix = func(s *inl) {
		if strings.HasPrefix(s.name, "@") {
			off, _ := strconv.ParseUint(s.name[1:], 10, 64)
			s.name = names[dwarf.Offset(off)]
		}
		for _, c := range s.children {
			fix(c)
		}
	}
	for _, c := range cus {
		for _, s := range c.subs {
			fix(s)
		}
	}
	sort.Slice(cus, func(i, j int) bool { return len(cus[i].ranges) > 0 && (len(cus[j].ranges) == 0 || cus[i].ranges[0][0] < cus[j].ranges[0][0]) })

	in := bufio.NewScanner(os.Stdin)
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	for in.Scan() {
		t := strings.TrimSpace(in.Text())
		if t == "" {
			continue
		}
		pc, err := strconv.ParseUint(strings.TrimPrefix(t, "0x"), 16, 64)
		if err != nil {
			fmt.Fprintln(os.Stderr, "bad address", t)
			os.Exit(2)
		}
		fr := lookup(d, cus, pc)
		if fr == nil {
			fmt.Fprintf(out, "0x%x ?\n", pc)
			continue
		}
		parts := make([]string, len(fr))
		for i, x := range fr {
			parts[i] = fmt.Sprintf("%s %s:%d", x.name, x.file, x.line)
		}
		fmt.Fprintf(out, "0x%x %s\n", pc, strings.Join(parts, " | "))
	}
}

func lookup(d *dwarf.Data, cus []*cu, pc uint64) []frame {
	for _, c := range cus {
		if !contains(c.ranges, pc) {
			continue
		}
		for _, s := range c.subs {
			if !contains(s.ranges, pc) {
				continue
			}
			// the chain of inlined calls covering pc, outermost first
			chain := []*inl{s}
			for p := s; ; {
				var next *inl
				for _, ch := range p.children {
					if contains(ch.ranges, pc) {
						next = ch
						break
					}
				}
				if next == nil {
					break
				}
				chain = append(chain, next)
				p = next
			}
			file, line := lineAt(d, c.entry, pc)
			var fr []frame
			for i := len(chain) - 1; i >= 0; i-- {
				fr = append(fr, frame{chain[i].name, file, line})
				file, line = chain[i].callFile, chain[i].callLine
			}
			return fr
		}
	}
	return nil
}

var rowsOf = map[*dwarf.Entry][]dwarf.LineEntry{}

// lineAt reads the unit's line table row by row (LineReader.SeekPC gives up
// on some of Go 1.26's units): the row before the first one past pc, within
// one sequence.
func lineAt(d *dwarf.Data, e *dwarf.Entry, pc uint64) (string, int64) {
	rows, ok := rowsOf[e]
	if !ok {
		lr, err := d.LineReader(e)
		if err == nil && lr != nil {
			for {
				var le dwarf.LineEntry
				if lr.Next(&le) != nil {
					break
				}
				rows = append(rows, le)
			}
		}
		rowsOf[e] = rows
	}
	for i := 1; i < len(rows); i++ {
		prev := rows[i-1]
		if !prev.EndSequence && prev.Address <= pc && pc < rows[i].Address {
			return prev.File.Name, int64(prev.Line)
		}
	}
	return "?", 0
}
