// Package dedup finds records that describe the same person or company.
//
// It is pure: no database, only records in and scored pairs out. The
// customer package feeds it a workspace's customers
// (customer.Service.FindDuplicates) or one record before it is created
// (customer.Service.MatchCandidate).
//
// The method is probabilistic record linkage after Fellegi and Sunter:
//
//   - Blocking: each record gets several keys (Soundex of the family name
//     with the given initial and the reverse, both name codes sorted for
//     swapped names, date with day and month sorted plus an initial,
//     postcode plus an initial, every email, phone, external id and
//     attribute value). Only records sharing a key are compared, each pair
//     once, and blocks above Config.MaxBlock are skipped, so the work grows
//     about linearly with the number of records.
//   - Comparison: per field an agreement level: names by Jaro-Winkler on
//     case- and accent-folded text in any script, with nicknames and
//     swapped given/family names; dates tolerant of one typo, a
//     transposition or swapped day and month; addresses by token
//     (Monge-Elkan) similarity; postcodes, ids and attributes by edit
//     distance; identities exactly.
//   - Scoring: each level has an m probability (true matches land there)
//     and a u probability (unrelated records do); its weight is log2(m/u).
//     u is measured on random pairs, then m, u and the prior are refined by
//     EM on the candidate pairs, without labels. EM is held to two
//     constraints that keep it from flipping when names or dates repeat a
//     lot (taking "shares a blocking key" for the match class): exact
//     agreement on a field is never evidence against a match (m >= u at
//     the top level), full disagreement never evidence for one (m <= u at
//     level 0), and the share of matches among candidates stays within
//     [1e-5, 0.75]. Exact agreement on a rare
//     name, postcode or city weighs more than on a common one. The sum of
//     weights is the log2 odds of a match.
//   - Clustering: pairs at or above Config.Threshold (probability 0.5 by
//     default) are joined into connected components.
//
// Every reported pair carries its explanation: per field the level, in
// words, and the weight it added. Results are deterministic.
//
// On the FEBRL data sets in ../shared/data/febrl, with default settings,
// pair F1 is 1.000 on dataset1 and 0.999 on dataset2. BenchmarkFind1M scans
// 1,000,000 synthetic customers (names in several scripts, typos, swapped
// fields, about 10% duplicates) in about 17 s on two cores with pair F1
// about 0.97 and under 1.5 GiB of memory from the OS, input included:
// records are prepared compactly (clean ASCII is not copied, repeated
// values are interned), blocking keys are counted before they are stored,
// and only the indexes of kept pairs are held during the scan.
package dedup
