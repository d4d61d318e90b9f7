package crmgen

import (
	"strings"
	"unicode/utf8"
)

// The generator's own Han tables: every character it writes, with its
// toneless pinyin as a name (surnames read as surnames: 单 Shan, 解 Xie,
// 仇 Qiu, 查 Zha, 曾 Zeng, 覃 Qin) and its traditional form where that
// differs. They are hand-written so that the truth does not come from the
// romanisation or conversion libraries an engine under test would use.
const hanChars = `
王wang 李li 张zhang張 刘liu劉 陈chen陳 杨yang楊 黄huang黃 赵zhao趙 吴wu吳 周zhou
徐xu 孙sun孫 马ma馬 朱zhu 胡hu 郭guo 何he 林lin 高gao 罗luo羅 郑zheng鄭 梁liang
谢xie謝 宋song 唐tang 许xu許 邓deng鄧 韩han韓 冯feng馮 曹cao 彭peng 曾zeng 肖xiao
田tian 董dong 潘pan 袁yuan 蔡cai 蒋jiang蔣 余yu 于yu 杜du 叶ye葉 程cheng 魏wei
苏su蘇 吕lv呂 丁ding 任ren 沈shen 姚yao 卢lu盧 姜jiang 崔cui 钟zhong鍾 谭tan譚
陆lu陸 汪wang 范fan 金jin 石shi 廖liao 贾jia賈 夏xia 韦wei韋 付fu 方fang 白bai
邹zou鄒 孟meng 熊xiong 秦qin 邱qiu 江jiang 尹yin 薛xue 闫yan閆 段duan 雷lei
侯hou 龙long龍 史shi 陶tao 黎li 贺he賀 顾gu顧 毛mao 郝hao 龚gong龔 邵shao 万wan萬
钱qian錢 严yan嚴 覃qin 武wu 戴dai 莫mo 孔kong 向xiang 汤tang湯
常chang 温wen溫 康kang 施shi 文wen 牛niu 樊fan 葛ge 邢xing 安an 齐qi齊 易yi
乔qiao喬 伍wu 庞pang龐 颜yan顏 倪ni 庄zhuang莊 聂nie聶 章zhang 鲁lu魯 岳yue
翟zhai 殷yin 詹zhan 申shen 欧ou歐 耿geng 关guan關 兰lan蘭 焦jiao 俞yu 左zuo
柳liu 甘gan 祝zhu 包bao 宁ning寧 尚shang 符fu 舒shu 阮ruan 柯ke 纪ji紀 梅mei
童tong 凌ling 毕bi畢 单shan單 季ji 裴pei 霍huo 涂tu 成cheng 苗miao 谷gu 盛sheng
曲qu 翁weng 冉ran 骆luo駱 蓝lan藍 路lu 游you 辛xin 靳jin 管guan 柴chai 蒙meng
鲍bao鮑 华hua華 喻yu 祁qi 蒲pu 房fang 滕teng 屈qu 饶rao饒 解xie 牟mou 艾ai
尤you 阳yang陽 时shi時 穆mu 农nong農 司si 卓zhuo 古gu 吉ji 缪miao繆 简jian簡
车che車 项xiang項 连lian連 芦lu蘆 麦mai麥 褚chu 娄lou婁 窦dou竇 戚qi 岑cen
景jing 党dang 宫gong宮 费fei費 卜bu 冷leng 晏yan 席xi 卫wei衛 米mi 柏bai 宗zong
瞿qu 桂gui 全quan 佟tong 应ying應 臧zang 闵min閔 苟gou 邬wu鄔 边bian邊 卞bian
姬ji 师shi師 和he 仇qiu 栾luan欒 隋sui 商shang 刁diao 沙sha 荣rong榮 巫wu 寇kou
桑sang 郎lang 甄zhen 丛cong叢 仲zhong 虞yu 敖ao 巩gong鞏 明ming 佘she 池chi
查zha 麻ma 苑yuan 迟chi遲 邝kuang鄺
诸zhu諸 上shang 官guan 东dong東 皇huang 甫fu 慕mu 容rong 令ling 狐hu
伟wei偉 芳fang 娜na 秀xiu 英ying 敏min 静jing靜 丽li麗 强qiang強 磊lei 军jun軍
洋yang 勇yong 艳yan艷 杰jie傑 娟juan 涛tao濤 超chao 霞xia 平ping 刚gang剛
建jian 国guo國 斌bin 峰feng 浩hao 宇yu 俊jun 鹏peng鵬 辉hui輝 飞fei飛 波bo
鑫xin 晨chen 博bo 志zhi 海hai 亮liang 振zhen 兴xing興 家jia 豪hao 子zi
轩xuan軒 然ran 天tian 佑you 德de 永yong 福fu 瑞rui 庆qing慶 凯kai凱 健jian
旭xu 昊hao 翔xiang 鸿hong鴻 毅yi 诚cheng誠 胜sheng勝 山shan 彬bin 祥xiang
泽ze澤 睿rui 航hang 铭ming銘 皓hao 宏hong 坤kun 春chun 生sheng 立li 新xin
正zheng 清qing 良liang 学xue學 光guang 晓xiao曉 嘉jia
玉yu 萍ping 红hong紅 燕yan 玲ling 婷ting 雪xue 琳lin 丹dan 莉li 慧hui 颖ying穎
佳jia 欣xin 怡yi 悦yue悅 琪qi 雅ya 璐lu 瑶yao瑤 婉wan 晶jing 倩qian 蕾lei 薇wei
月yue 彤tong 萱xuan 诗shi詩 梦meng夢 雨yu 思si 淑shu 珍zhen 凤feng鳳 琴qin
云yun雲 莹ying瑩 洁jie潔 妍yan 曼man 露lu 菲fei 岚lan嵐 秋qiu 桃tao 美mei
爱ai愛 蓉rong 芬fen 珊shan 娇jiao嬌 青qing 晴qing 楠nan 可ke 心xin 乐le樂
馨xin 蓓bei 婧jing 茜qian 媛yuan
玮wei瑋 为wei為 威wei 维wei維 炜wei煒 纳na納 那na 民min 闽min閩 敬jing
镜jing鏡 力li 墙qiang牆 蔷qiang薔 垒lei壘 君jun 均jun 扬yang揚 涌yong湧 雁yan
彦yan 捷jie 鹃juan鵑 涓juan 韬tao韜 滔tao 鸣ming鳴 名ming 潮chao 朝chao
侠xia俠 苹ping蘋 钢gang鋼 纲gang綱 贵gui貴 修xiu 影ying 理li 里li 舟zhou
州zhou 照zhao 昭zhao 霖lin 臣chen 辰chen 荪sun蓀 阵zhen陣 朋peng 睛jing
停ting 哪na 利li 章zhang 涨zhang漲
信xin 恒heng 通tong 达da達 泰tai 鼎ding 丰feng豐 远yuan遠 创chuang創 星xing
汇hui匯 世shi 中zhong 科ke 字zi 夭yao
`

// Surnames by rank: the first 100 cover about 85% of people, the tail the
// rest (see zhSurnameWeights). 单 解 仇 查 缪 曾 覃 are read as surnames.
const (
	zhTop100 = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林高罗郑梁谢宋唐许邓韩冯曹彭曾肖田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
	zhTail   = "常温康施文牛樊葛邢安齐易乔伍庞颜倪庄聂章鲁岳翟殷詹申欧耿关兰焦俞左柳甘祝包宁尚符舒阮柯纪梅童凌毕单季裴霍涂成苗谷盛曲翁冉骆蓝路游辛靳管柴蒙鲍华喻祁蒲房滕屈饶解牟艾尤阳时穆农司卓古吉缪简车项连芦麦褚娄窦戚岑景党宫费卜冷晏席卫米柏宗瞿桂全佟应臧闵苟邬边卞姬师和仇栾隋商刁沙荣巫寇桑郎甄丛仲虞敖巩明佘池查麻苑迟邝"
)

// zhCompound are the two-character family names; together about 0.5%.
var zhCompound = []string{"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "慕容", "令狐"}

// zhCommonGiven are the given names that many people share (伟 above all).
var zhCommonGiven = []struct {
	s    string
	male bool
	w    float64
}{
	{"伟", true, 10}, {"芳", false, 9}, {"娜", false, 8}, {"秀英", false, 8}, {"敏", false, 8},
	{"静", false, 8}, {"丽", false, 7}, {"强", true, 7}, {"磊", true, 7}, {"军", true, 6},
	{"洋", true, 6}, {"勇", true, 6}, {"艳", false, 6}, {"杰", true, 6}, {"娟", false, 5},
	{"涛", true, 5}, {"明", true, 5}, {"超", true, 5}, {"秀兰", false, 5}, {"霞", false, 5},
	{"平", true, 5}, {"刚", true, 5}, {"桂英", false, 5},
}

// The pools that other given names are drawn from, one or two characters.
const (
	zhMalePool   = "建国华文斌峰浩宇俊鹏辉飞波鑫晨阳博志成龙海东林亮宁振兴家豪子轩然天佑德永福康瑞庆凯健旭昊翔鸿毅诚胜江山金荣彬卫祥泽睿航铭皓宏坤春生立新正清良学光晓安嘉明伟"
	zhFemalePool = "玉兰梅萍红燕玲婷雪琳丹莉慧颖佳欣怡悦琪雅璐瑶婉晶倩蕾薇月彤萱诗梦雨思淑珍凤琴云莹洁妍曼露菲岚秋桃美爱蓉芬珊娇秀英桂青晴楠可心乐馨蓓婧茜媛晓嘉静丽"
)

// zhVisual are characters easily misread or mistyped as another by shape.
var zhVisual = map[rune][]rune{
	'王': {'玉'}, '玉': {'王'}, '李': {'季'}, '季': {'李'}, '杨': {'扬'}, '扬': {'杨'},
	'陈': {'阵'}, '明': {'朋'}, '晴': {'睛'}, '婷': {'停'}, '娜': {'哪'}, '莉': {'利'},
	'张': {'涨'}, '宇': {'字'}, '天': {'夭'},
}

// English given names some Chinese people use beside their Han name.
var zhEnglishMale = []string{"Kevin", "David", "Jason", "Eric", "Michael", "Tony", "Jack", "Frank", "Peter", "Vincent", "Leo", "Allen"}
var zhEnglishFemale = []string{"Amy", "Grace", "Cindy", "Helen", "Lily", "Jenny", "Vivian", "Coco", "Linda", "Cherry", "Sophia", "Emily"}

type hanInfo struct {
	py   string
	trad rune
}

var (
	hanTab    map[rune]hanInfo
	hanByPy   map[string][]rune // homophones within the tables
	zhSurname weighted
	zhSurList []string
	zhGiven   weighted
	zhMaleR   []rune
	zhFemR    []rune
	zhTradSet map[rune]bool // traditional forms that differ from the simplified
)

func init() {
	hanTab = map[rune]hanInfo{}
	hanByPy = map[string][]rune{}
	zhTradSet = map[rune]bool{}
	for _, tok := range strings.Fields(hanChars) {
		s, size := utf8.DecodeRuneInString(tok)
		rest := tok[size:]
		i := 0
		for i < len(rest) && rest[i] < utf8.RuneSelf {
			i++
		}
		info := hanInfo{py: rest[:i], trad: s}
		if i < len(rest) {
			info.trad, _ = utf8.DecodeRuneInString(rest[i:])
			zhTradSet[info.trad] = true
		}
		if _, dup := hanTab[s]; dup {
			continue
		}
		hanTab[s] = info
		hanByPy[info.py] = append(hanByPy[info.py], s)
	}
	// 王 李 张 刘 陈 take 5-7% each, the first 100 about 85%, the tail
	// about 14.5% and the compound names 0.5%.
	top := []float64{6.9, 6.8, 6.4, 5.3, 4.5, 3.1, 2.2, 2.0, 1.9, 1.9, 1.5, 1.5, 1.4, 1.3, 1.2, 1.1, 1.1, 1.0, 1.0, 0.9}
	var w []float64
	for _, c := range zhTop100 {
		zhSurList = append(zhSurList, string(c))
		if i := len(w); i < len(top) {
			w = append(w, top[i])
		} else {
			// ranks 21-100 fall from 0.7% to 0.12%: about 32% together.
			w = append(w, 0.7-float64(i-20)*(0.58/79))
		}
	}
	tail := []rune(zhTail)
	tw := zipf(len(tail), 8, 0.6)
	sum := 0.0
	for _, x := range tw {
		sum += x
	}
	for i, c := range tail {
		zhSurList = append(zhSurList, string(c))
		w = append(w, 14.5*tw[i]/sum)
	}
	for _, c := range zhCompound {
		zhSurList = append(zhSurList, c)
		w = append(w, 0.5/float64(len(zhCompound)))
	}
	zhSurname = newWeighted(w)
	gw := make([]float64, len(zhCommonGiven))
	for i, g := range zhCommonGiven {
		gw[i] = g.w
	}
	zhGiven = newWeighted(gw)
	zhMaleR = []rune(zhMalePool)
	zhFemR = []rune(zhFemalePool)
}

// pinyinSyl returns the toneless pinyin of one character.
func pinyinSyl(c rune) string { return hanTab[c].py }

func toTrad(s string) string {
	var b strings.Builder
	for _, c := range s {
		if h, ok := hanTab[c]; ok {
			c = h.trad
		}
		b.WriteRune(c)
	}
	return b.String()
}

// pinyinJoin writes the syllables of s as one word: "Xiuying", with an
// apostrophe before a syllable that starts with a, o or e ("Jia'an").
func pinyinJoin(s []rune, apostrophe bool) string {
	var b strings.Builder
	for i, c := range s {
		p := pinyinSyl(c)
		if i > 0 && apostrophe && strings.ContainsRune("aoe", rune(p[0])) {
			b.WriteByte('\'')
		}
		b.WriteString(p)
	}
	return title(b.String())
}

// pinyinSplit writes each syllable capitalised, joined by sep: "Xiu Ying",
// "Xiu-Ying"; lowerRest gives "Xiu-ying".
func pinyinSplit(s []rune, sep string, lowerRest bool) string {
	parts := make([]string, len(s))
	for i, c := range s {
		p := pinyinSyl(c)
		if i == 0 || !lowerRest {
			p = title(p)
		}
		parts[i] = p
	}
	return strings.Join(parts, sep)
}

// title upper-cases the first letter of an ASCII word.
func title(s string) string {
	if s == "" || s[0] < 'a' || s[0] > 'z' {
		return s
	}
	return string(s[0]-'a'+'A') + s[1:]
}

// hanTypo replaces one character of s by a homophone (the usual pinyin
// input error) or, sometimes, by a character of similar shape.
func hanTypo(r *rng, s []rune) []rune {
	out := append([]rune(nil), s...)
	i := r.intn(len(out))
	c := out[i]
	if v, ok := zhVisual[c]; ok && r.chance(0.3) {
		out[i] = pick(r, v)
		return out
	}
	hs := hanByPy[pinyinSyl(c)]
	if len(hs) < 2 {
		if v, ok := zhVisual[c]; ok {
			out[i] = pick(r, v)
		} else if len(out) > 1 {
			// No homophone in the tables: swap the order (a copy error).
			out[0], out[len(out)-1] = out[len(out)-1], out[0]
		}
		return out
	}
	for {
		if h := pick(r, hs); h != c {
			out[i] = h
			return out
		}
	}
}
