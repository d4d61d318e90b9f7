package crmgen

import (
	"strings"
	"unicode"
	"unicode/utf8"
)

// Name tables of the other cultures, in rough order of frequency: names are
// drawn with Zipf weights, so many distinct people share "John Smith",
// "Maria Garcia" or "Иван Иванов".
type nameList struct {
	names []string
	w     weighted
}

func newNameList(s string, k, exp float64) nameList {
	n := strings.Split(strings.TrimSpace(s), ",")
	for i := range n {
		n[i] = strings.TrimSpace(n[i])
	}
	return nameList{n, newWeighted(zipf(len(n), k, exp))}
}

func (l nameList) pick(r *rng) string { return l.names[l.w.pick(r)] }

// latinNames holds the tables of one culture written in the Latin script.
type latinNames struct {
	male, female, family nameList
}

var (
	enNames, deNames, frNames, esNames, inNames latinNames
	ruMale, ruFemale, ruFamily                  nameList
)

func init() {
	enNames = latinNames{
		male: newNameList(`James, John, Robert, Michael, William, David, Richard, Joseph, Thomas, Charles,
			Christopher, Daniel, Matthew, Anthony, Mark, Donald, Steven, Paul, Andrew, Joshua, Kenneth, Kevin,
			Brian, George, Timothy, Ronald, Edward, Jason, Jeffrey, Ryan, Jacob, Gary, Nicholas, Eric, Jonathan,
			Stephen, Larry, Justin, Scott, Brandon, Benjamin, Samuel, Gregory, Alexander, Frank, Patrick,
			Raymond, Jack, Dennis, Jerry, Tyler, Aaron, Henry, Peter, Oliver, Harry, Liam, Noah, Ethan`, 2, 1),
		female: newNameList(`Mary, Patricia, Jennifer, Linda, Elizabeth, Barbara, Susan, Jessica, Sarah, Karen,
			Lisa, Nancy, Betty, Margaret, Sandra, Ashley, Kimberly, Emily, Donna, Michelle, Carol, Amanda,
			Dorothy, Melissa, Deborah, Stephanie, Rebecca, Sharon, Laura, Cynthia, Kathleen, Amy, Angela,
			Shirley, Anna, Brenda, Pamela, Emma, Nicole, Helen, Samantha, Katherine, Christine, Debra,
			Rachel, Carolyn, Janet, Catherine, Maria, Heather, Olivia, Sophie, Charlotte, Grace`, 2, 1),
		family: newNameList(`Smith, Johnson, Williams, Brown, Jones, Miller, Davis, Garcia, Rodriguez, Wilson,
			Martinez, Anderson, Taylor, Thomas, Hernandez, Moore, Martin, Jackson, Thompson, White, Lopez,
			Lee, Harris, Clark, Lewis, Robinson, Walker, Young, Allen, King, Wright, Scott, Hill, Green,
			Adams, Nelson, Baker, Hall, Campbell, Mitchell, Carter, Roberts, Evans, Turner, Phillips,
			Parker, Collins, Edwards, Stewart, Morris, Murphy, Cook, Rogers, Morgan, Cooper, Peterson,
			Reed, Bailey, Bell, Kelly, Howard, Ward, Cox, Richardson, Wood, Watson, Brooks, Bennett, Gray,
			James, Hughes, Price, Sanders, Myers, Long, Ross, Foster, Powell, Jenkins, Perry, Russell,
			Sullivan, O'Brien, O'Connor, McDonald, MacLeod, Nguyen, Patel, Khan, Fitzgerald, Hamilton`, 3, 1),
	}
	deNames = latinNames{
		male: newNameList(`Thomas, Michael, Andreas, Stefan, Peter, Christian, Klaus, Wolfgang, Jürgen, Frank,
			Markus, Uwe, Hans, Jörg, Matthias, Sebastian, Alexander, Tobias, Jan, Lukas, Maximilian,
			Florian, Johannes, Günter, Dieter, Bernd, Manfred, Ralf, Dirk, Felix, Jonas, Leon, Paul`, 2, 1),
		female: newNameList(`Sabine, Ursula, Petra, Monika, Claudia, Andrea, Susanne, Birgit, Gabriele,
			Katharina, Anna, Julia, Laura, Lena, Sarah, Christina, Stefanie, Jutta, Renate, Sophie,
			Karin, Heike, Brigitte, Ingrid, Marie, Hannah, Lea, Anja, Nicole`, 2, 1),
		family: newNameList(`Müller, Schmidt, Schneider, Fischer, Weber, Meyer, Wagner, Becker, Schulz,
			Hoffmann, Schäfer, Koch, Bauer, Richter, Klein, Wolf, Schröder, Neumann, Schwarz, Zimmermann,
			Braun, Krüger, Hofmann, Hartmann, Lange, Schmitt, Werner, Schmitz, Krause, Meier, Lehmann,
			Schmid, Schulze, Maier, Köhler, Herrmann, König, Walter, Mayer, Huber, Kaiser, Fuchs, Peters,
			Lang, Scholz, Möller, Weiß, Jung, Hahn, Schubert, Vogel, Friedrich, Keller, Günther, Frank,
			Berger, Winkler, Roth, Beck, Lorenz, Baumann, Franke, Albrecht, Schuster, Simon, Ludwig,
			Böhm, Winter, Kraus, Martin, Schumacher, Krämer, Vogt, Stein, Jäger, Otto, Sommer, Groß,
			Seidel, Heinrich, Brandt, Haas, Schreiber, Graf, Schulte, Dietrich, Ziegler, Kuhn, Kühn, Pohl`, 3, 1),
	}
	frNames = latinNames{
		male: newNameList(`Jean, Pierre, Michel, André, Philippe, Alain, Jacques, Bernard, François, Nicolas,
			Laurent, Éric, Stéphane, Julien, Thomas, Hugo, Lucas, Théo, Louis, Antoine, Sébastien,
			Frédéric, Christophe, Jean-Pierre, Jean-Luc, Jean-Claude, Olivier, Guillaume, Mathieu, Benoît`, 2, 1),
		female: newNameList(`Marie, Nathalie, Isabelle, Sylvie, Catherine, Françoise, Christine, Monique,
			Valérie, Sandrine, Sophie, Céline, Camille, Léa, Chloé, Manon, Emma, Hélène, Élodie, Aurélie,
			Marie-Claire, Anne-Sophie, Marie-Hélène, Véronique, Juliette, Inès, Margaux, Brigitte`, 2, 1),
		family: newNameList(`Martin, Bernard, Thomas, Petit, Robert, Richard, Durand, Dubois, Moreau, Laurent,
			Simon, Michel, Lefèvre, Leroy, Roux, David, Bertrand, Morel, Fournier, Girard, Bonnet, Dupont,
			Lambert, Fontaine, Rousseau, Vincent, Muller, Lefebvre, Faure, André, Mercier, Blanc, Guérin,
			Boyer, Garnier, Chevalier, François, Legrand, Gauthier, Garcia, Perrin, Robin, Clément, Morin,
			Nicolas, Henry, Roussel, Mathieu, Gautier, Masson, Marchand, Duval, Denis, Dumont, Marie,
			Lemaire, Noël, Meyer, Dufour, Meunier, Brun, Blanchard, Giraud, Joly, Rivière, Lucas, Brunet`, 3, 1),
	}
	esNames = latinNames{
		male: newNameList(`José, Antonio, Manuel, Francisco, Juan, David, Javier, Jesús, Daniel, Carlos,
			Miguel, Alejandro, Rafael, Pedro, Pablo, Luis, Fernando, Jorge, Sergio, Alberto, Andrés, Diego,
			Ángel, Ramón, José Luis, Juan Carlos, José Antonio, Enrique, Ignacio, Víctor, Raúl, Óscar`, 2, 1),
		female: newNameList(`María, Carmen, Ana, Isabel, Laura, Lucía, Cristina, Marta, Elena, Pilar, Sofía,
			Paula, Rosa, Teresa, Dolores, Guadalupe, Verónica, Mónica, Beatriz, Raquel, María José,
			María del Carmen, Ana María, Patricia, Silvia, Rocío, Natalia, Andrea, Claudia, Alejandra`, 2, 1),
		family: newNameList(`García, Rodríguez, González, Fernández, López, Martínez, Sánchez, Pérez, Gómez,
			Martín, Jiménez, Ruiz, Hernández, Díaz, Moreno, Muñoz, Álvarez, Romero, Alonso, Gutiérrez,
			Navarro, Torres, Domínguez, Vázquez, Ramos, Gil, Ramírez, Serrano, Blanco, Molina, Morales,
			Suárez, Ortega, Delgado, Castro, Ortiz, Rubio, Marín, Sanz, Núñez, Iglesias, Medina, Garrido,
			Cortés, Castillo, Santos, Lozano, Guerrero, Cano, Prieto, Flores, Herrera, Peña, León, Cruz,
			Reyes, Vargas, Mendoza, Aguilar, Rojas, Contreras, Salazar, Ibáñez, Peñalosa, Villanueva`, 3, 1),
	}
	inNames = latinNames{
		male: newNameList(`Rahul, Amit, Rajesh, Suresh, Vijay, Arjun, Anil, Sanjay, Ravi, Deepak, Aditya,
			Rohan, Vikram, Karthik, Arun, Manoj, Prakash, Sunil, Abhishek, Nikhil`, 2, 1),
		female: newNameList(`Priya, Pooja, Anjali, Neha, Sneha, Kavya, Divya, Lakshmi, Sunita, Ananya,
			Deepika, Shreya, Meera, Aishwarya, Swati, Nisha`, 2, 1),
		family: newNameList(`Sharma, Patel, Kumar, Singh, Gupta, Reddy, Iyer, Nair, Rao, Das, Mehta, Shah,
			Joshi, Verma, Agarwal, Mishra, Chopra, Banerjee, Menon, Pillai, Chatterjee, Desai, Kulkarni`, 2, 1),
	}
	ruMale = newNameList(`Александр, Сергей, Дмитрий, Андрей, Алексей, Максим, Евгений, Иван, Михаил,
		Николай, Владимир, Павел, Артём, Олег, Игорь, Юрий, Денис, Виктор, Роман, Антон`, 2, 1)
	ruFemale = newNameList(`Елена, Ольга, Наталья, Екатерина, Анна, Татьяна, Мария, Ирина, Светлана, Юлия,
		Анастасия, Марина, Людмила, Дарья, Ксения, Валентина, Галина, Виктория`, 2, 1)
	ruFamily = newNameList(`Иванов, Смирнов, Кузнецов, Попов, Васильев, Петров, Соколов, Михайлов, Новиков,
		Фёдоров, Морозов, Волков, Алексеев, Лебедев, Семёнов, Егоров, Павлов, Козлов, Степанов,
		Николаев, Орлов, Андреев, Макаров, Никитин, Захаров, Зайцев, Соловьёв, Борисов, Яковлев,
		Григорьев, Романов, Воробьёв, Сергеев, Кузьмин, Фролов, Александров, Дмитриев, Королёв, Гусев,
		Киселёв, Ильин, Максимов, Поляков, Сорокин, Виноградов, Ковалёв, Белов, Медведев, Антонов,
		Тарасов, Жуков, Баранов, Филиппов, Комаров, Давыдов, Беляев, Герасимов, Богданов, Осипов, Сидоров`, 3, 1)
}

// ruFeminine gives the female form of a Russian family name.
func ruFeminine(f string) string {
	switch {
	case strings.HasSuffix(f, "ов"), strings.HasSuffix(f, "ев"), strings.HasSuffix(f, "ёв"), strings.HasSuffix(f, "ин"):
		return f + "а"
	case strings.HasSuffix(f, "ий"):
		return strings.TrimSuffix(f, "ий") + "ая"
	}
	return f
}

// nicknames maps a given name to the short forms its owner also goes by.
var nicknames = map[string][]string{
	"Robert": {"Bob", "Rob", "Bobby"}, "William": {"Bill", "Will", "Billy"}, "Katherine": {"Kate", "Kathy", "Katie"},
	"Elizabeth": {"Liz", "Beth", "Betty", "Eliza"}, "James": {"Jim", "Jimmy", "Jamie"}, "John": {"Jack", "Johnny"},
	"Michael": {"Mike", "Mick"}, "Richard": {"Rick", "Dick", "Rich"}, "Joseph": {"Joe", "Joey"}, "Thomas": {"Tom", "Tommy"},
	"Charles": {"Charlie", "Chuck"}, "Christopher": {"Chris", "Topher"}, "Daniel": {"Dan", "Danny"}, "Matthew": {"Matt"},
	"Anthony": {"Tony"}, "Steven": {"Steve"}, "Andrew": {"Andy", "Drew"}, "Joshua": {"Josh"}, "Kenneth": {"Ken", "Kenny"},
	"Timothy": {"Tim"}, "Ronald": {"Ron", "Ronnie"}, "Edward": {"Ed", "Eddie", "Ted"}, "Jeffrey": {"Jeff"},
	"Nicholas": {"Nick"}, "Jonathan": {"Jon"}, "Benjamin": {"Ben", "Benny"}, "Samuel": {"Sam"}, "Gregory": {"Greg"},
	"Alexander": {"Alex", "Sasha"}, "Patrick": {"Pat", "Paddy"}, "Margaret": {"Maggie", "Peggy", "Meg"},
	"Patricia": {"Pat", "Patty", "Trish"}, "Jennifer": {"Jen", "Jenny"}, "Susan": {"Sue", "Susie"}, "Jessica": {"Jess"},
	"Kimberly": {"Kim"}, "Deborah": {"Debbie", "Deb"}, "Debra": {"Debbie"}, "Rebecca": {"Becky", "Becca"},
	"Cynthia": {"Cindy"}, "Kathleen": {"Kathy", "Kath"}, "Pamela": {"Pam"}, "Samantha": {"Sam"}, "Christine": {"Chris", "Chrissy"},
	"Catherine": {"Cathy", "Kate"}, "Amanda": {"Mandy"}, "Dorothy": {"Dot", "Dottie"}, "Stephanie": {"Steph"},
	"Raymond": {"Ray"}, "Dennis": {"Denny"}, "Gerald": {"Jerry"}, "Jacob": {"Jake"}, "Henry": {"Hank", "Harry"},
	"Barbara": {"Barb"}, "Sandra": {"Sandy"}, "Carolyn": {"Carol"}, "Frank": {"Frankie"}, "Peter": {"Pete"},
	// German
	"Johannes": {"Hans", "Jo"}, "Katharina": {"Kathi", "Katja"}, "Christian": {"Chris"}, "Maximilian": {"Max"},
	"Sebastian": {"Basti"}, "Stefanie": {"Steffi"}, "Gabriele": {"Gabi"}, "Susanne": {"Susi"}, "Andreas": {"Andi"},
	"Wolfgang": {"Wolf"}, "Matthias": {"Matze"}, "Tobias": {"Tobi"}, "Christina": {"Tina"},
	// French
	"Frédéric": {"Fred"}, "Nicolas": {"Nico"}, "Sébastien": {"Seb"}, "Christophe": {"Chris"}, "Jean-Pierre": {"JP"},
	"Véronique": {"Véro"}, "Nathalie": {"Nath"},
	// Spanish
	"José": {"Pepe"}, "Francisco": {"Paco", "Pancho"}, "Guadalupe": {"Lupe"}, "Ignacio": {"Nacho"}, "Enrique": {"Quique"},
	"Alejandro": {"Álex"}, "Dolores": {"Lola"}, "Manuel": {"Manolo"}, "Antonio": {"Toño", "Toni"}, "Jesús": {"Chucho"},
	"Alejandra": {"Ale"}, "José Luis": {"Pepe"},
	// Russian
	"Александр": {"Саша"}, "Дмитрий": {"Дима"}, "Михаил": {"Миша"}, "Наталья": {"Наташа"}, "Екатерина": {"Катя"},
	"Иван": {"Ваня"}, "Алексей": {"Лёша", "Алёша"}, "Елена": {"Лена"}, "Мария": {"Маша"}, "Анна": {"Аня"},
	"Сергей": {"Серёжа"}, "Ольга": {"Оля"}, "Татьяна": {"Таня"}, "Евгений": {"Женя"}, "Владимир": {"Володя", "Вова"},
	"Юлия": {"Юля"}, "Анастасия": {"Настя"}, "Павел": {"Паша"}, "Светлана": {"Света"}, "Ксения": {"Ксюша"},
	// Indian
	"Abhishek": {"Abhi"}, "Aishwarya": {"Ash"}, "Karthik": {"Karthi"}, "Vikram": {"Vicky"},
}

// Japanese names: kanji, Hepburn romaji and a long-vowel spelling.
type jaName struct{ kanji, romaji, alt string }

var jaFamily = []jaName{
	{"佐藤", "Sato", "Satou"}, {"鈴木", "Suzuki", ""}, {"高橋", "Takahashi", ""}, {"田中", "Tanaka", ""},
	{"伊藤", "Ito", "Itou"}, {"渡辺", "Watanabe", ""}, {"山本", "Yamamoto", ""}, {"中村", "Nakamura", ""},
	{"小林", "Kobayashi", ""}, {"加藤", "Kato", "Katou"}, {"吉田", "Yoshida", ""}, {"山田", "Yamada", ""},
	{"佐々木", "Sasaki", ""}, {"山口", "Yamaguchi", ""}, {"松本", "Matsumoto", ""}, {"井上", "Inoue", ""},
	{"木村", "Kimura", ""}, {"林", "Hayashi", ""}, {"斎藤", "Saito", "Saitou"}, {"清水", "Shimizu", ""},
	{"山崎", "Yamazaki", "Yamasaki"}, {"森", "Mori", ""}, {"池田", "Ikeda", ""}, {"橋本", "Hashimoto", ""},
	{"阿部", "Abe", ""}, {"石川", "Ishikawa", ""}, {"山下", "Yamashita", ""}, {"中島", "Nakajima", "Nakashima"},
	{"石井", "Ishii", ""}, {"小川", "Ogawa", ""}, {"前田", "Maeda", ""}, {"岡田", "Okada", ""},
	{"長谷川", "Hasegawa", ""}, {"藤田", "Fujita", ""}, {"後藤", "Goto", "Gotou"}, {"近藤", "Kondo", "Kondou"},
}

var jaMale = []jaName{
	{"太郎", "Taro", "Tarou"}, {"翔太", "Shota", "Shouta"}, {"大輔", "Daisuke", ""}, {"健太", "Kenta", ""},
	{"拓也", "Takuya", ""}, {"直樹", "Naoki", ""}, {"誠", "Makoto", ""}, {"浩", "Hiroshi", ""},
	{"健一", "Kenichi", "Ken'ichi"}, {"隆", "Takashi", ""}, {"大翔", "Hiroto", ""}, {"蓮", "Ren", ""},
	{"悠真", "Yuma", "Yuuma"}, {"陽翔", "Haruto", ""}, {"一郎", "Ichiro", "Ichirou"}, {"和也", "Kazuya", ""},
	{"亮", "Ryo", "Ryou"}, {"学", "Manabu", ""}, {"修", "Osamu", ""}, {"秀樹", "Hideki", ""},
}

var jaFemale = []jaName{
	{"陽子", "Yoko", "Youko"}, {"恵子", "Keiko", ""}, {"裕子", "Yuko", "Yuuko"}, {"美咲", "Misaki", ""},
	{"由美", "Yumi", ""}, {"直子", "Naoko", ""}, {"愛", "Ai", ""}, {"さくら", "Sakura", ""},
	{"結衣", "Yui", ""}, {"陽菜", "Hina", ""}, {"真由美", "Mayumi", ""}, {"智子", "Tomoko", ""},
	{"久美子", "Kumiko", ""}, {"明美", "Akemi", ""}, {"美穂", "Miho", ""}, {"香織", "Kaori", ""},
	{"彩", "Aya", ""}, {"葵", "Aoi", ""}, {"優子", "Yuko", "Yuuko"}, {"千尋", "Chihiro", ""},
}

// jaVariant are kanji spellings of the same family name (異体字) that
// records of one person disagree on.
var jaVariant = map[string][]string{
	"斎藤": {"斉藤", "齋藤", "齊藤"}, "渡辺": {"渡邊", "渡邉"}, "高橋": {"髙橋"}, "山崎": {"山﨑"},
	"佐々木": {"佐佐木"},
}

// Korean names: Hangul and romanisations (the first is the usual one).
type koName struct {
	hangul string
	roman  []string
}

var koFamily = []koName{
	{"김", []string{"Kim", "Gim"}}, {"이", []string{"Lee", "Yi", "Rhee"}}, {"박", []string{"Park", "Bak", "Pak"}},
	{"최", []string{"Choi", "Choe"}}, {"정", []string{"Jung", "Jeong", "Chung"}}, {"강", []string{"Kang", "Gang"}},
	{"조", []string{"Cho", "Jo"}}, {"윤", []string{"Yoon", "Yun"}}, {"장", []string{"Jang", "Chang"}},
	{"임", []string{"Lim", "Im"}}, {"한", []string{"Han"}}, {"오", []string{"Oh", "O"}}, {"서", []string{"Seo", "Suh"}},
	{"신", []string{"Shin", "Sin"}}, {"권", []string{"Kwon", "Gwon"}}, {"황", []string{"Hwang"}},
	{"안", []string{"Ahn", "An"}}, {"송", []string{"Song"}}, {"류", []string{"Ryu", "Yoo"}}, {"홍", []string{"Hong"}},
}

var koFamilyW = []float64{21.5, 14.7, 8.4, 4.7, 4.4, 2.3, 2.1, 2.1, 2.0, 1.7, 1.5, 1.5, 1.5, 1.4, 1.4, 1.3, 1.3, 1.3, 1.2, 1.1}

// Korean given names with the syllable break of their romanisation.
var koMale = []koName{
	{"민준", []string{"Min-jun"}}, {"서준", []string{"Seo-jun"}}, {"도윤", []string{"Do-yun"}}, {"예준", []string{"Ye-jun"}},
	{"시우", []string{"Si-woo"}}, {"하준", []string{"Ha-jun"}}, {"지호", []string{"Ji-ho"}}, {"주원", []string{"Ju-won"}},
	{"현우", []string{"Hyun-woo"}}, {"준서", []string{"Jun-seo"}}, {"영호", []string{"Young-ho"}}, {"영수", []string{"Young-soo"}},
	{"정훈", []string{"Jung-hoon"}}, {"성민", []string{"Sung-min"}}, {"동현", []string{"Dong-hyun"}}, {"상철", []string{"Sang-cheol"}},
}

var koFemale = []koName{
	{"서연", []string{"Seo-yeon"}}, {"서윤", []string{"Seo-yun"}}, {"지우", []string{"Ji-woo"}}, {"서현", []string{"Seo-hyun"}},
	{"민서", []string{"Min-seo"}}, {"하은", []string{"Ha-eun"}}, {"하윤", []string{"Ha-yun"}}, {"윤서", []string{"Yun-seo"}},
	{"지민", []string{"Ji-min"}}, {"수진", []string{"Su-jin"}}, {"지현", []string{"Ji-hyun"}}, {"은지", []string{"Eun-ji"}},
	{"미경", []string{"Mi-kyung"}}, {"혜진", []string{"Hye-jin"}}, {"영희", []string{"Young-hee"}}, {"수빈", []string{"Su-bin"}},
}

// Arabic names and the Latin spellings they appear under.
type arName struct {
	arabic string
	latin  []string
}

var arMale = []arName{
	{"محمد", []string{"Mohammed", "Muhammad", "Mohamed", "Mohammad"}}, {"أحمد", []string{"Ahmed", "Ahmad"}},
	{"علي", []string{"Ali"}}, {"عمر", []string{"Omar", "Umar"}}, {"خالد", []string{"Khaled", "Khalid"}},
	{"يوسف", []string{"Youssef", "Yousef", "Yusuf"}}, {"إبراهيم", []string{"Ibrahim", "Ebrahim"}},
	{"حسن", []string{"Hassan", "Hasan"}}, {"عبدالله", []string{"Abdullah", "Abdallah", "Abdulla"}},
	{"سعيد", []string{"Saeed", "Said", "Saied"}},
}

var arFemale = []arName{
	{"فاطمة", []string{"Fatima", "Fatma", "Fatimah"}}, {"عائشة", []string{"Aisha", "Aysha", "Aicha"}},
	{"مريم", []string{"Maryam", "Mariam"}}, {"نور", []string{"Nour", "Noor"}}, {"سارة", []string{"Sara", "Sarah"}},
	{"ليلى", []string{"Layla", "Leila", "Laila"}}, {"هدى", []string{"Huda", "Hoda"}}, {"زينب", []string{"Zainab", "Zeinab"}},
}

var arFamily = []arName{
	{"الأحمد", []string{"Al-Ahmad", "Al Ahmad", "Alahmad"}}, {"العلي", []string{"Al-Ali", "Al Ali", "Alali"}},
	{"الحسن", []string{"Al-Hassan", "Al Hassan", "Alhassan"}}, {"الشمري", []string{"Al-Shammari", "Al Shammari", "Alshammari"}},
	{"القحطاني", []string{"Al-Qahtani", "Alqahtani", "Al Qahtani"}}, {"العتيبي", []string{"Al-Otaibi", "Al Otaibi", "Alotaibi"}},
	{"المصري", []string{"El-Masry", "Al-Masri", "Elmasry"}}, {"حسين", []string{"Hussein", "Hussain", "Husain"}},
	{"عبدالرحمن", []string{"Abdelrahman", "Abdul Rahman", "Abdulrahman"}}, {"السيد", []string{"El-Sayed", "Elsayed", "Al-Sayed"}},
	{"منصور", []string{"Mansour", "Mansoor"}}, {"صالح", []string{"Saleh", "Salih"}},
}

// arVariant spells Arabic text the way many keyboards and databases fold it.
var arVariant = strings.NewReplacer("أ", "ا", "إ", "ا", "آ", "ا", "ة", "ه", "ى", "ي")

// Cyrillic to Latin in two schemes records disagree on: a BGN-like one
// (Natalya, Yuriy) and the passport one (Natalia, Iurii).
var ruLatin = [2]map[rune]string{
	{'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "yo", 'ж': "zh", 'з': "z", 'и': "i",
		'й': "y", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
		'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "", 'ы': "y",
		'ь': "", 'э': "e", 'ю': "yu", 'я': "ya"},
	{'а': "a", 'б': "b", 'в': "v", 'г': "g", 'д': "d", 'е': "e", 'ё': "e", 'ж': "zh", 'з': "z", 'и': "i",
		'й': "i", 'к': "k", 'л': "l", 'м': "m", 'н': "n", 'о': "o", 'п': "p", 'р': "r", 'с': "s", 'т': "t",
		'у': "u", 'ф': "f", 'х': "kh", 'ц': "ts", 'ч': "ch", 'ш': "sh", 'щ': "shch", 'ъ': "ie", 'ы': "y",
		'ь': "", 'э': "e", 'ю': "iu", 'я': "ia"},
}

func translitRu(s string, scheme int) string {
	var b strings.Builder
	for _, c := range s {
		lc := unicode.ToLower(c)
		t, ok := ruLatin[scheme][lc]
		if !ok {
			b.WriteRune(c)
			continue
		}
		if c != lc {
			t = title(t)
		}
		b.WriteString(t)
	}
	return b.String()
}

// asciiFold writes accented Latin letters without their marks; german
// writes ä ö ü ß as ae oe ue ss, as Germans do when the keyboard lacks them.
func asciiFold(s string, german bool) string {
	var b strings.Builder
	for _, c := range s {
		if c < utf8.RuneSelf {
			b.WriteRune(c)
			continue
		}
		if german {
			if t, ok := germanFold[c]; ok {
				b.WriteString(t)
				continue
			}
		}
		if t, ok := latinFold[c]; ok {
			b.WriteString(t)
		} else {
			b.WriteRune(c)
		}
	}
	return b.String()
}

var germanFold = map[rune]string{'ä': "ae", 'ö': "oe", 'ü': "ue", 'Ä': "Ae", 'Ö': "Oe", 'Ü': "Ue", 'ß': "ss"}

var latinFold = map[rune]string{
	'á': "a", 'à': "a", 'â': "a", 'ä': "a", 'ã': "a", 'å': "a", 'Á': "A", 'À': "A", 'Â': "A", 'Ä': "A",
	'é': "e", 'è': "e", 'ê': "e", 'ë': "e", 'É': "E", 'È': "E", 'Ê': "E",
	'í': "i", 'ì': "i", 'î': "i", 'ï': "i", 'Í': "I", 'Î': "I",
	'ó': "o", 'ò': "o", 'ô': "o", 'ö': "o", 'õ': "o", 'Ó': "O", 'Ô': "O", 'Ö': "O",
	'ú': "u", 'ù': "u", 'û': "u", 'ü': "u", 'Ú': "U", 'Ü': "U",
	'ñ': "n", 'Ñ': "N", 'ç': "c", 'Ç': "C", 'ß': "ss", 'œ': "oe", 'æ': "ae", 'ÿ': "y",
}

func hasNonASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return true
		}
	}
	return false
}
