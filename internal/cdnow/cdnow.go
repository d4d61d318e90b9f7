package cdnow

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// Purchase is one line of CDNOW_sample.txt or CDNOW_master.txt.
type Purchase struct {
	Customer string    // the sample id (1..2357) of the sample file, the master id of the master file
	Date     time.Time // midnight UTC
	CDs      int64
	Cents    int64 // the dollar value in cents
}

// Dir returns the folder holding the CDNOW files, looked up from the working
// directory upwards (../shared/data/cdnow beside the repository), or "" when
// it is not there.
func Dir() string {
	wd, err := os.Getwd()
	if err != nil {
		return ""
	}
	for d := wd; ; d = filepath.Dir(d) {
		p := filepath.Join(d, "..", "shared", "data", "cdnow")
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			return p
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// ReadSample reads CDNOW_sample.txt: master id, sample id, YYYYMMDD, CDs,
// dollars, whitespace-separated, no header.
func ReadSample(r io.Reader) ([]Purchase, error) { return read(r, 1, false) }

// ReadMaster reads CDNOW_master.txt: customer id, YYYYMMDD, CDs, dollars,
// with one header line.
func ReadMaster(r io.Reader) ([]Purchase, error) { return read(r, 0, true) }

func read(r io.Reader, idCol int, header bool) ([]Purchase, error) {
	var out []Purchase
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Fields(sc.Text())
		if len(f) == 0 || (header && line == 1) {
			continue
		}
		if len(f) != idCol+4 {
			return nil, fmt.Errorf("cdnow: line %d: %d fields", line, len(f))
		}
		d, err := time.Parse("20060102", f[idCol+1])
		if err != nil {
			return nil, fmt.Errorf("cdnow: line %d: %w", line, err)
		}
		cds, err := strconv.ParseInt(f[idCol+2], 10, 64)
		if err != nil {
			return nil, fmt.Errorf("cdnow: line %d: %w", line, err)
		}
		dollars, err := strconv.ParseFloat(f[idCol+3], 64)
		if err != nil {
			return nil, fmt.Errorf("cdnow: line %d: %w", line, err)
		}
		id := strings.TrimLeft(f[idCol], "0")
		out = append(out, Purchase{Customer: id, Date: d, CDs: cds, Cents: int64(math.Round(dollars * 100))})
	}
	return out, sc.Err()
}
