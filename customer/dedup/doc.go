// Package dedup finds records that describe the same person or company.
//
// It is pure: no database, only records in and scored pairs out. The
// customer package feeds it a workspace's customers
// (customer.Service.FindDuplicates) or one record before it is created
// (customer.Service.MatchCandidate).
//
// The method is probabilistic record linkage after Fellegi and Sunter,
// trained without labels the way Splink trains it:
//
//   - Names in any script. Names are folded (case, accents, traditional
//     Chinese characters to simplified ones with OpenCC's tables) and read
//     in Latin letters (pinyin for Han, with surname readings; Hangul;
//     Cyrillic; common Japanese surnames), so 張偉, 张伟 and "Wei Zhang"
//     are one name. A whole name in one field ("王涛", "王 涛", "Wang Tao")
//     is split, CJK names family name first by the known compound
//     surnames. Names are compared allowing swaps, nicknames, typos, a
//     second family name and either order; names in scripts with no
//     reading here (Arabic against Latin) are not compared.
//   - Comparisons: given and family name, a date (of birth), email, and one
//     joint contact comparison of phone, street address and postcode, so
//     that one shared home counts once; ids and attributes. A phone, an
//     address or an email shared by people with different given names (a
//     household, an office) is no evidence unless a birth date or an id
//     agrees too.
//   - Blocking on several keys: names in their Latin reading, date,
//     postcode, email and its local part, phone (last eight digits, and
//     two keys that each survive one wrong digit), street address,
//     external ids and attributes. Blocks above Config.MaxBlock are
//     compared by a sorted neighbourhood (never skipped silently;
//     Stats.OversizeBlocks counts them), so the work grows about linearly.
//   - Estimation: u (how often unrelated records agree) from a million
//     random pairs and from the frequencies of the values themselves;
//     m (how often one entity's records agree) by EM on the candidate
//     pairs, each pair leaving out the fields of the key that found it and
//     pairs found by name training none; a match share per key kind, their
//     sum over all pairs the prior. Agreement on a common whole name, a
//     shared switchboard or a family email weighs less than on a rare
//     one. Full disagreement on a name, birth date or id is bounded for
//     true matches, so EM can take neither households nor namesakes for
//     the match class.
//   - Clustering: pairs at or above Config.Threshold (probability 0.5 by
//     default) are joined, then split by average linkage so that a chain
//     of pairs does not join people who share nothing.
//
// Every reported pair carries its explanation: per field the level, in
// words, and the weight it added. Results are deterministic for a seed and
// input order, whatever the number of workers.
//
// Figures (README, "Measured"): FEBRL dataset1 and dataset2 at default
// settings, pair F1 0.999; a generated messy list (internal/crmgen) of
// 20,000 entities, about 0.96; 1,000,000 records of it scanned in about
// 45 s on two cores with F1 about 0.957.
package dedup
