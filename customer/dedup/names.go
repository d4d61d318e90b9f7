package dedup

import (
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/liuzl/gocc"
	"github.com/mozillazg/go-pinyin"
)

// Personal names in any script are brought to two forms before they are
// compared:
//
//   - canonical: case and accents folded, traditional Chinese characters
//     folded to simplified ones (OpenCC's t2s tables: 張 is 张), spaces
//     removed;
//   - romanised: Han characters read in pinyin without tones (张伟 is
//     "zhangwei"; surnames with a special reading, such as 单 "shan", read
//     as surnames), Cyrillic transliterated; other scripts as they are.
//
// A name written whole in one field ("王涛", "王 涛", "Wang Tao") is split
// into family and given name: Chinese, Japanese and Korean names family
// name first (by the known compound surnames, such as 欧阳 or 남궁, else
// one character), other names given name first.

var (
	t2sOnce sync.Once
	t2s     map[rune]rune
)

// simplified folds traditional Chinese characters in s to simplified ones
// (OpenCC's t2s character table, read once into a map). s is returned as
// it is when it holds no traditional character.
func simplified(s string) string {
	if !hasHan(s) {
		return s
	}
	t2sOnce.Do(loadT2S)
	changed := false
	for _, r := range s {
		if _, ok := t2s[r]; ok {
			changed = true
			break
		}
	}
	if !changed {
		return s
	}
	return strings.Map(func(r rune) rune {
		if v, ok := t2s[r]; ok {
			return v
		}
		return r
	}, s)
}

// loadT2S builds the character map by converting every CJK ideograph of
// the basic and extension A blocks once.
func loadT2S() {
	cc, err := gocc.New("t2s")
	if err != nil {
		panic("dedup: load OpenCC t2s tables: " + err.Error())
	}
	t2s = map[rune]rune{}
	for _, block := range [][2]rune{{0x3400, 0x4DBF}, {0x4E00, 0x9FFF}, {0xF900, 0xFAFF}} {
		for r := block[0]; r <= block[1]; r++ {
			out, err := cc.Convert(string(r))
			if err != nil || utf8.RuneCountInString(out) != 1 {
				continue
			}
			if v, _ := utf8.DecodeRuneInString(out); v != r {
				t2s[r] = v
			}
		}
	}
}

func isHan(r rune) bool { return unicode.Is(unicode.Han, r) }

func hasHan(s string) bool {
	for _, r := range s {
		if r >= 0x2E80 && isHan(r) {
			return true
		}
	}
	return false
}

// familyFirst reports whether a name in s is written family name first:
// Han, Hangul or Japanese kana.
func familyFirst(s string) bool {
	for _, r := range s {
		if r < 0x1100 {
			continue
		}
		if isHan(r) || unicode.Is(unicode.Hangul, r) || unicode.Is(unicode.Hiragana, r) || unicode.Is(unicode.Katakana, r) {
			return true
		}
	}
	return false
}

// compoundSurnames are two-character family names (Chinese, simplified,
// and Korean).
var compoundSurnames = map[string]bool{}

// surnames are common one-character Chinese family names (simplified) and
// Korean ones: a whole name in the given-name field that starts with one
// is split.
var surnames = map[rune]bool{}

// surnameReading is the pinyin of surnames whose reading as a family name
// differs from the character's usual reading.
var surnameReading = map[rune]string{
	'单': "shan", '曾': "zeng", '解': "xie", '区': "ou", '仇': "qiu", '朴': "piao",
	'查': "zha", '盖': "ge", '乐': "yue", '华': "hua", '任': "ren", '燕': "yan",
	'缪': "miao", '翟': "zhai", '尉': "yu", '覃': "qin", '瞿': "qu", '种': "chong",
	'秘': "bi", '长': "chang", '重': "chong", '郇': "huan", '员': "yun", '阚': "kan",
	'隗': "wei", '冼': "xian", '折': "she", '召': "shao", '繁': "po", '句': "gou",
	'宿': "su", '藏': "zang", '薄': "bo", '卜': "bu", '沈': "shen", '贾': "jia",
	'柏': "bai", '纪': "ji", '祭': "zhai", '蕃': "pi", '那': "na",
}

func init() {
	for _, s := range strings.Fields(`欧阳 司马 诸葛 上官 东方 皇甫 慕容 令狐 尉迟 公孙 长孙 宇文 司徒 夏侯
		轩辕 端木 独孤 南宫 西门 百里 呼延 万俟 澹台 公冶 申屠 太史 闻人 濮阳 赫连 钟离 宗政 拓跋 司空
		남궁 황보 제갈 선우 독고 사공 서문`) {
		compoundSurnames[s] = true
	}
	for _, r := range `王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝官封谈匡鞠惠荆乐冀郁胥南班储原栗燕楚鄢劳谌奚皮粟冼蔺楼盘满闻位厉伊仝区郜海阚花权强帅屠豆朴盖练廉禹井祖漆巴丰支卿国狄平计索宣晋相初门云容敬来扈晁芮都普阙浦戈伏鹿薄邸雍辜羊阿乌母裘亓修邰赫杭况那宿鲜印逯隆茹诸战慕危玉银亢嵇公哈湛宾戎勾茅利於呼居揭干但尉冶斯元束檀衣信展阴昝智幸奉植衡富尧闭由김이박최정강조윤장임한오서신권황안송류전홍고문양손배백허유남심노하곽성차주우구민진나지엄채원천방공현함변염여추도소석선설마길연위표명기반왕금옥육인맹제모탁국어은편용예경봉사부가복태목형피두감음빈동온호범좌` {
		surnames[r] = true
	}
}

// splitWhole splits a whole name written in one field (canonical form,
// spaces kept) into given and family name.
func splitWhole(s string) (given, family string) {
	f := strings.Fields(s)
	switch {
	case len(f) == 0:
		return "", ""
	case familyFirst(s):
		if len(f) > 1 {
			return strings.Join(f[1:], ""), f[0]
		}
		return splitFamilyFirst(f[0])
	case len(f) == 1:
		return "", f[0]
	}
	return strings.Join(f[:len(f)-1], ""), f[len(f)-1]
}

// splitFamilyFirst splits an unspaced CJK name: a known compound surname,
// else the first character, is the family name. A name of one character,
// or a compound surname alone, is a family name.
func splitFamilyFirst(s string) (given, family string) {
	n := utf8.RuneCountInString(s)
	if n <= 1 {
		return "", s
	}
	_, w1 := utf8.DecodeRuneInString(s)
	_, w2 := utf8.DecodeRuneInString(s[w1:])
	if compoundSurnames[s[:w1+w2]] {
		return s[w1+w2:], s[:w1+w2]
	}
	return s[w1:], s[:w1]
}

// startsWithSurname reports whether s (unspaced CJK) begins with a known
// family name and has more after it.
func startsWithSurname(s string) bool {
	r, w := utf8.DecodeRuneInString(s)
	if w == len(s) {
		return false
	}
	if surnames[r] {
		return true
	}
	_, w2 := utf8.DecodeRuneInString(s[w:])
	return w+w2 < len(s) && compoundSurnames[s[:w+w2]]
}

// personNames returns the canonical given and family names of a record
// (folded, simplified, unspaced), splitting a whole name where needed.
func personNames(givenIn, familyIn, fullIn string) (given, family string) {
	g, f := canonicalName(givenIn), canonicalName(familyIn)
	switch {
	case g == "" && f == "":
		g, f = splitWhole(canonicalName(fullIn))
	case f == "" && (strings.IndexByte(g, ' ') >= 0 && familyFirst(g) || familyFirst(g) && startsWithSurname(g)):
		// "王 涛" or "王涛" in the given-name field.
		g, f = splitWhole(g)
	case g == "" && familyFirst(f) && (strings.IndexByte(f, ' ') >= 0 || utf8.RuneCountInString(f) >= 3 || startsWithSurname(f) && !compoundSurnames[f]):
		// A whole CJK name in the family-name field.
		g, f = splitWhole(f)
	case g != "" && f != "" && familyFirst(g):
		// The given-name field repeats the family name: "王涛" and "王".
		if sq := squash(g); len(sq) > len(f) && strings.HasPrefix(sq, squash(f)) {
			g = sq[len(squash(f)):]
		}
	}
	return squash(g), squash(f)
}

// canonicalName folds a name for comparison: Normalize, then traditional
// Chinese to simplified. Spaces are kept.
func canonicalName(s string) string {
	return simplified(Normalize(s))
}

// romanise returns the Latin reading of a canonical name: pinyin for Han
// characters (as a surname when family is set), a transliteration for
// Cyrillic; other characters as they are. It returns s itself when s is
// ASCII.
func romanise(s string, family bool) string {
	if family {
		if r, ok := japaneseReading(s); ok {
			return r
		}
	}
	if isASCII(s) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) * 2)
	first := true
	for _, r := range s {
		switch {
		case r >= 0x2E80 && isHan(r):
			if first && family {
				if p, ok := surnameReading[r]; ok {
					b.WriteString(p)
					break
				}
			}
			if p := pinyin.SinglePinyin(r, pinyinArgs); len(p) > 0 {
				b.WriteString(p[0])
			} else {
				b.WriteRune(r)
			}
		case r >= 0xAC00 && r <= 0xD7A3:
			if first && family {
				if k, ok := koreanSurname[r]; ok {
					b.WriteString(k)
					break
				}
			}
			b.WriteString(hangulRoman(r))
		case r >= 0x400 && r <= 0x4FF:
			if t, ok := cyrillic[r]; ok {
				b.WriteString(t)
			} else {
				b.WriteRune(r)
			}
		default:
			b.WriteRune(r)
		}
		first = false
	}
	return b.String()
}

var pinyinArgs = pinyin.NewArgs() // pinyin.Normal: no tones

// cyrillic transliterates lower-case Cyrillic letters (a scheme close to
// the common passport one; the comparators tolerate the variants).
var cyrillic = map[rune]string{
	'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z",
	'и': "i", 'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r",
	'с': "s", 'т': "t", 'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch",
	'ъ': "", 'ы': "y", 'ь': "", 'э': "e", 'ю': "yu", 'я': "ya", 'і': "i", 'ї': "yi", 'є': "ye", 'ґ': "g",
}

// Revised Romanization of Hangul syllables: initial, medial and final
// jamo.
var (
	hangulInitial = []string{"g", "kk", "n", "d", "tt", "r", "m", "b", "pp", "s", "ss", "", "j", "jj", "ch", "k", "t", "p", "h"}
	hangulMedial  = []string{"a", "ae", "ya", "yae", "eo", "e", "yeo", "ye", "o", "wa", "wae", "oe", "yo", "u", "wo", "we", "wi", "yu", "eu", "ui", "i"}
	hangulFinal   = []string{"", "k", "k", "k", "n", "n", "n", "t", "l", "k", "m", "l", "l", "l", "p", "l", "m", "p", "p", "t", "t", "ng", "t", "t", "k", "t", "p", "t"}
)

// hangulRoman romanises one Hangul syllable.
func hangulRoman(r rune) string {
	i := int(r - 0xAC00)
	return hangulInitial[i/588] + hangulMedial[(i%588)/28] + hangulFinal[i%28]
}

// koreanSurname is the usual Latin spelling of common Korean family names,
// which differs from their Revised Romanization (김 is Kim, not Gim).
var koreanSurname = map[rune]string{
	'김': "kim", '이': "lee", '박': "park", '최': "choi", '정': "jung", '강': "kang", '조': "cho",
	'윤': "yoon", '장': "jang", '임': "lim", '한': "han", '오': "oh", '서': "seo", '신': "shin",
	'권': "kwon", '황': "hwang", '안': "ahn", '송': "song", '류': "ryu", '전': "jeon", '홍': "hong",
	'고': "ko", '문': "moon", '양': "yang", '손': "son", '배': "bae", '백': "baek", '허': "heo",
	'유': "yoo", '남': "nam", '심': "shim", '노': "noh", '하': "ha", '곽': "kwak", '성': "sung",
	'차': "cha", '주': "joo", '우': "woo", '구': "koo", '민': "min", '진': "jin", '나': "na",
}

// japaneseSurname is the reading of common Japanese family names (keyed,
// once japaneseReading has run, by their canonical, simplified form): their pinyin would not match the
// rōmaji of the same person's records. Japanese given names have no such
// table, so a Japanese name in kanji and in rōmaji agree on the family name
// only.
var japaneseSurname = map[string]string{}

func init() {
	for _, kv := range strings.Fields(`佐藤:sato 鈴木:suzuki 高橋:takahashi 髙橋:takahashi 田中:tanaka 伊藤:ito
		渡辺:watanabe 渡邊:watanabe 山本:yamamoto 中村:nakamura 小林:kobayashi 加藤:kato 吉田:yoshida
		山田:yamada 佐々木:sasaki 山口:yamaguchi 松本:matsumoto 井上:inoue 木村:kimura 林:hayashi
		斎藤:saito 斉藤:saito 清水:shimizu 山崎:yamazaki 森:mori 池田:ikeda 橋本:hashimoto 阿部:abe
		石川:ishikawa 山下:yamashita 中島:nakajima 石井:ishii 小川:ogawa 前田:maeda 岡田:okada
		長谷川:hasegawa 藤田:fujita 後藤:goto 近藤:kondo 村上:murakami 遠藤:endo 青木:aoki 坂本:sakamoto
		斉木:saiki 福田:fukuda 太田:ota 西村:nishimura 藤井:fujii 岡本:okamoto 松田:matsuda 中川:nakagawa
		中野:nakano 原田:harada 小野:ono 田村:tamura 竹内:takeuchi 金子:kaneko 和田:wada 中山:nakayama
		石田:ishida 上田:ueda 森田:morita 原:hara 柴田:shibata 酒井:sakai 工藤:kudo 横山:yokoyama
		宮崎:miyazaki 宮本:miyamoto 内田:uchida 高木:takagi 安藤:ando 谷口:taniguchi 大野:ono 丸山:maruyama
		今井:imai 高田:takada 藤原:fujiwara 河野:kono 小島:kojima 久保:kubo 松井:matsui 千葉:chiba
		岩崎:iwasaki 桜井:sakurai 野口:noguchi 松尾:matsuo 菊地:kikuchi 木下:kinoshita 野村:nomura
		新井:arai 渡部:watanabe 菅原:sugawara 杉山:sugiyama 大塚:otsuka 平野:hirano 小山:koyama`) {
		k, v, _ := strings.Cut(kv, ":")
		japaneseSurname[k] = v
	}
}

// japaneseReading returns the reading of a Japanese family name in its
// canonical (simplified) form.
func japaneseReading(family string) (string, bool) {
	if !hasHan(family) {
		return "", false
	}
	japaneseOnce.Do(func() {
		folded := make(map[string]string, len(japaneseSurname))
		for k, v := range japaneseSurname {
			folded[simplified(k)] = v
		}
		japaneseSurname = folded
	})
	r, ok := japaneseSurname[family]
	return r, ok
}

var japaneseOnce sync.Once
