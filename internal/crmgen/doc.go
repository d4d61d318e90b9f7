// Package crmgen generates messy customer lists whose duplicates are known,
// for testing import and duplicate detection.
//
// Generate draws a seeded list that looks like a multi-country,
// multi-script CRM export, and keeps the truth apart from the columns that
// get imported: each Row carries the Entity it belongs to (with Culture,
// BadPhone and BadEmail), WriteCSV writes only the Columns, and Truth and
// TruePairs give the labels and the number of true duplicate pairs. The
// same Config always gives the same rows (the package has its own random
// generator), in shuffled order with no two records of one entity next to
// each other (wherever the list is big enough to allow it). A million rows take a few seconds and about 500 MB.
//
// What the list holds, and roughly how often:
//
//   - People of several cultures: about 30% Chinese (Han names), and
//     English/American, German, French, Spanish and Latin-American (José,
//     Müller, François, Núñez; two surnames), Russian (Cyrillic), Japanese
//     (kanji, family name first), Korean (Hangul), Indian and Arabic
//     names; a few percent of entities are companies (Kind "company").
//   - Realistic name frequencies: 王 李 张 刘 陈 take 5-7% of Chinese
//     family names each and the 100 most common about 85%, with the
//     compound names (欧阳, 司马, 诸葛, …) at 0.5%; given names such as 伟,
//     芳, 秀英 take about a quarter, the rest one or two characters from a
//     pool of about 150. Western names follow Zipf weights. Many distinct
//     people are called 王伟 or John Smith: they are not duplicates.
//   - Han names written in simplified (张伟) or traditional (張偉) characters
//     or in pinyin (Zhang Wei, Wei Zhang, ZHANG Wei, zhang wei; Xiuying, Xiu
//     Ying, Xiu-Ying), split into given and family name, whole in Name (王涛,
//     王 涛), or whole in GivenName; some Chinese use an English given name.
//     The pinyin and traditional forms come from the package's own tables,
//     independent of the libraries an engine under test would use.
//   - Households (about 11% of people): 2-5 people with different given
//     names sharing a landline, an address and mostly the family name,
//     each with an own e-mail address or none, a few one family address
//     (thesmiths@, wangjia12@).
//   - Colleagues (about 16% of people): 3-30 people of one company sharing
//     its switchboard (sometimes with an extension), its address and its
//     e-mail domain in one pattern (first.last@), often with the company
//     itself in the list. Shared contact points are not duplicates.
//   - Duplicates (DuplicateRate of the rows, 0.3 by default): an entity has
//     one to three extra records (75% one), each with one to three
//     corruptions: a typo in a name (for Han names a homophone such as
//     伟→玮, the pinyin input error, or a character of similar shape), a
//     change of script (Han and pinyin, simplified and traditional,
//     Cyrillic and Latin, kanji and romaji, Hangul and its romanisation,
//     Arabic and its Latin spellings, accents dropped), the
//     name in one field, given and family swapped, a nickname (Robert/Bob,
//     Александр/Саша), case or spacing changes, a missing, other (work or
//     personal) or mistyped e-mail (gmial.com), a missing, mistyped (one
//     digit, two swapped), reformatted or new phone, an address abbreviated
//     (Street→St, Straße→Str., full-width digits), respaced or missing, the
//     city written another way (北京市/北京/Beijing, München/Munich), the
//     postcode reformatted, or the birth date dropped, with day and month
//     swapped or one digit wrong.
//   - Phones of 22 countries in their local formats (138 0013 8000,
//     010-6552 9988, (650) 253-0000, 020 7123 4567, 0151 23456789,
//     090-1234-5678, 8 (495) 123-45-67) and international ones (+86 138
//     0013 8000, 0086 13800138000, +49 (0)30 …); a number written without
//     its country code is in the row's Country, and rows without a Country
//     (6%) write it with one. About 2% of phones are junk ("N/A", "123", a
//     number cut short; BadPhone); every other one is a valid number.
//   - E-mail addresses at each country's providers (qq.com with numeric QQ
//     numbers, 163.com, gmx.de, mail.ru, naver.com, yahoo.co.jp, …) or at
//     a company's domain, pinyin local parts for Chinese (zhangwei88@); 1%
//     junk ("zhang@", "none"; BadEmail).
//   - Addresses in each country's form and script (北京市朝阳区建国路88号,
//     Hauptstraße 12, 12 rue de la Paix, ул. Тверская, д. 7), with most
//     people in a few big cities, so that city and postcode agree often
//     between strangers.
//   - Birth dates for 30% of people; locales on about a third of the rows.
package crmgen
