// Package cdnow reads the CDNOW purchase files of ../shared/data/cdnow for
// tests and examples.
package cdnow
