package crmgen

import "strings"

// phone is a number as its owner has it: a country and the national
// significant number. The zero phone is none.
type phone struct {
	c      *country
	nsn    string
	mob    bool
	groups []int
}

func (p phone) ok() bool { return p.c != nil }

func (p phone) key() string { return p.c.cc + " " + p.nsn }

// newMobile draws a mobile number of the country; countries without a
// separate mobile range (the NANP, Mexico) give a number of the city.
func newMobile(r *rng, c *country, ci *city) phone {
	if len(c.mobPre) == 0 {
		p := newLandline(r, c, ci)
		p.mob = true
		return p
	}
	pre, n := splitPre(pick(r, c.mobPre))
	nsn := pre + r.digits(n-len(pre))
	return phone{c: c, nsn: nsn, mob: true, groups: fitGroups(c.mobGroups, len(nsn))}
}

// newLandline draws a fixed-line number of the city.
func newLandline(r *rng, c *country, ci *city) phone {
	if c.cc == "1" {
		area := pick(r, ci.areas)
		var exch string
		for {
			exch = string(r.digitFrom("23456789")) + r.digits(2)
			if exch[1:] != "11" && exch != "555" && exch != "950" && exch != "958" && exch != "959" && exch != "976" {
				break
			}
		}
		return phone{c: c, nsn: area + exch + r.digits(4), groups: c.mobGroups}
	}
	if ci.land == 0 {
		return newMobile(r, c, ci)
	}
	area := pick(r, ci.areas)
	first := ci.first
	if first == "" {
		first = "23456789"
	}
	nsn := area + string(r.digitFrom(first))
	if ci.land-len(nsn) > 4 {
		nsn += string(r.digitFrom("123456789"))
	}
	nsn += r.digits(ci.land - len(nsn))
	return phone{c: c, nsn: nsn, groups: fitGroups(ci.groups, len(nsn))}
}

func splitPre(s string) (string, int) {
	i := strings.IndexByte(s, '/')
	n := 0
	for _, d := range s[i+1:] {
		n = n*10 + int(d-'0')
	}
	return s[:i], n
}

// fitGroups stretches or shrinks the last group to cover n digits.
func fitGroups(g []int, n int) []int {
	t := 0
	for _, x := range g {
		t += x
	}
	if t == n {
		return g
	}
	out := append([]int(nil), g...)
	out[len(out)-1] += n - t
	return out
}

func (p phone) parts() []string {
	out := make([]string, 0, len(p.groups))
	i := 0
	for _, n := range p.groups {
		if i+n > len(p.nsn) {
			n = len(p.nsn) - i
		}
		if n <= 0 {
			break
		}
		out = append(out, p.nsn[i:i+n])
		i += n
	}
	if i < len(p.nsn) {
		out = append(out, p.nsn[i:])
	}
	return out
}

// trunk is the national prefix written before the number at home.
func (p phone) trunk() string {
	c := p.c
	if c.trunk == "" || c.cc == "1" || (p.mob && !c.mobTrunk) {
		return ""
	}
	return c.trunk
}

// format writes the number in one of the phone styles.
func (p phone) format(st int) string {
	c, gs, t := p.c, p.parts(), p.trunk()
	nanpLike := c.cc == "1" || c.code == "MX"
	if p.mob && !nanpLike && c.code != "RU" {
		switch st {
		case stNatParen:
			st = stNatSpace
		case stNatMixed:
			st = stNatDash
		case stIntlParen:
			st = stIntlSpace
		}
	}
	if c.code == "RU" && t != "" && (st == stNatSpace || st == stNatDash) {
		t += " "
	}
	switch st {
	case stNatSpace:
		return t + strings.Join(gs, " ")
	case stNatDash:
		if c.code == "RU" {
			return strings.TrimSpace(t) + "-" + strings.Join(gs, "-")
		}
		return t + strings.Join(gs, "-")
	case stNatCompact:
		return t + p.nsn
	case stNatParen:
		switch {
		case c.code == "RU":
			return "8 (" + gs[0] + ") " + strings.Join(gs[1:], "-")
		case nanpLike:
			return "(" + gs[0] + ") " + strings.Join(gs[1:], "-")
		}
		return "(" + t + gs[0] + ") " + strings.Join(gs[1:], " ")
	case stNatMixed:
		return t + gs[0] + "-" + strings.Join(gs[1:], " ")
	case stDots:
		return t + strings.Join(gs, ".")
	case stNatTrunk1:
		return "1-" + strings.Join(gs, "-")
	case stIDD00:
		return "00" + c.cc + " " + p.nsn
	case stIntlSpace:
		return "+" + c.cc + " " + strings.Join(gs, " ")
	case stIntlDash:
		return "+" + c.cc + " " + strings.Join(gs, "-")
	case stIntlCompact:
		return "+" + c.cc + p.nsn
	case stIntlTrunk0:
		return "+" + c.cc + " (0)" + strings.Join(gs, " ")
	case stIntlParen:
		return "+" + c.cc + " (" + gs[0] + ") " + strings.Join(gs[1:], "-")
	}
	return p.nsn
}

// localStyle draws a style the country's people write at home.
func (c *country) localStyle(r *rng) int { return c.stKey[c.stW.pick(r)] }

// typo changes one of the last four digits, or swaps two adjacent ones,
// which leaves the number valid but another.
func (p phone) typo(r *rng) phone {
	b := []byte(p.nsn)
	n := len(b)
	if r.chance(0.5) {
		for range 8 {
			i := n - 1 - r.intn(3)
			if b[i] != b[i-1] {
				b[i], b[i-1] = b[i-1], b[i]
				p.nsn = string(b)
				return p
			}
		}
	}
	i := n - 1 - r.intn(4)
	b[i] = byte('0' + (int(b[i]-'0')+1+r.intn(9))%10)
	p.nsn = string(b)
	return p
}

var junkPhones = []string{"123", "N/A", "0000", "-", "none", "000-000-0000", "1234567", "n/a", "?", "tbd", "0", "xxx", "111111"}

// junkPhone writes a phone nobody can call: a placeholder or a number cut short.
func junkPhone(r *rng, p phone) string {
	if p.ok() && r.chance(0.4) {
		return p.trunk() + p.nsn[:len(p.nsn)-2]
	}
	return pick(r, junkPhones)
}
