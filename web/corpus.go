package web

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// corpusPcap is one capture a client may choose. Name is what the client
// sees and sends back; Path never leaves the server.
type corpusPcap struct {
	Name string
	Path string
	Size int64
}

// corpusIndex maps names to the captures found under the configured pcap
// folders at start. Only names in the index are accepted, so a request
// cannot reach any other file however its name is spelled.
type corpusIndex struct {
	list   []corpusPcap
	byName map[string]corpusPcap
}

const maxCorpusFiles = 20000

func isCaptureName(name string) bool {
	n := strings.ToLower(name)
	n = strings.TrimSuffix(n, ".gz")
	return strings.HasSuffix(n, ".pcap") || strings.HasSuffix(n, ".pcapng") || strings.HasSuffix(n, ".cap")
}

// indexPcaps walks dirs (recursive). A capture's name is the folder's base
// name and its path inside the folder, slash-separated
// ("malware-http/cryptowall4_c2.pcap"); folders with the same base name get
// a numeric suffix so that names stay unique.
func indexPcaps(dirs []string) (*corpusIndex, error) {
	ix := &corpusIndex{byName: map[string]corpusPcap{}}
	roots := map[string]bool{}
	for _, dir := range dirs {
		st, err := os.Stat(dir)
		if err != nil {
			return nil, fmt.Errorf("web: pcap folder: %w", err)
		}
		if !st.IsDir() {
			return nil, fmt.Errorf("web: pcap folder %s: not a directory", dir)
		}
		abs, err := filepath.Abs(dir)
		if err != nil {
			return nil, err
		}
		root := filepath.Base(abs)
		for i := 2; roots[root]; i++ {
			root = fmt.Sprintf("%s-%d", filepath.Base(abs), i)
		}
		roots[root] = true
		err = filepath.WalkDir(abs, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() || !d.Type().IsRegular() || !isCaptureName(d.Name()) {
				return nil
			}
			if len(ix.list) >= maxCorpusFiles {
				return fmt.Errorf("more than %d captures", maxCorpusFiles)
			}
			rel, err := filepath.Rel(abs, path)
			if err != nil {
				return err
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			p := corpusPcap{Name: root + "/" + filepath.ToSlash(rel), Path: path, Size: info.Size()}
			ix.list = append(ix.list, p)
			ix.byName[p.Name] = p
			return nil
		})
		if err != nil {
			return nil, fmt.Errorf("web: pcap folder %s: %w", dir, err)
		}
	}
	sort.Slice(ix.list, func(i, j int) bool { return ix.list[i].Name < ix.list[j].Name })
	return ix, nil
}

func (ix *corpusIndex) lookup(name string) (corpusPcap, bool) {
	p, ok := ix.byName[name]
	return p, ok
}
