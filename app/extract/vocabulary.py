"""Word lists (English, French, Arabic, some German) the extractor reasons with, folded once."""

from __future__ import annotations

from app.gazetteer.index import normalize


def _words(*groups: str) -> frozenset[str]:
    """Folds whitespace-separated words (accents off, Arabic letter variants merged)."""
    return frozenset(normalize(w) for g in groups for w in g.split() if normalize(w))


def _raw(*groups: str) -> frozenset[str]:
    """Lower-cased words as they appear in text, accents kept (for the document prefilter)."""
    return frozenset(w.lower() for g in groups for w in g.split())


# Verbs and nouns that say people moved or are sheltering away from home.
_DISPLACEMENT = """
fled flee flees fleeing escaped escape escaping displaced displacement displacing uprooted
refugee refugees refuge idp idps evacuees sheltering sheltered shelters shelter
arrived arrive arriving arrivals arrival reached reaching crossed crossing cross entered
entering exodus influx streamed streaming poured pouring hosting hosts hosted host
crammed squeezed packed camped stranded relocated relocating headed heading evacuated
left leaving homeless evacuation evacuations
moved forced driven pushed sought taken staying stayed asylum asylum-seekers
migrants newcomers
fui fuir fuient fuyant fuyaient enfui enfuis enfuies déplacés déplacées déplacé déplacement
déplacements réfugiés réfugiées réfugié réfugiée réfugier refugiés exode afflux arrivés
arrivées arrivé arrivée arrivent traversé franchi gagné abrités abritées abrite hébergés
hébergées accueille accueillent accueilli accueillis chassés contraints
évacués évacuées évacué réfugiée évacuation
نزح نزحت نزحوا ينزحون نزوح النزوح نازح نازحين النازحين نازحون النازحون نازحا
لجا لجات لجاوا لجووا يلجاون لجوء اللجوء لاجي لاجيين لاجيون اللاجيين اللاجيون لاجيا
فر فرت فروا يفرون فرار الفرار هرب هربت هربوا هروب وصل وصلت وصلوا وصول يصلون
عبر عبرت عبروا دخل دخلت دخلوا تهجير مهجر مهجرين المهجرين احتمى احتموا يحتمون
ايواء الايواء استقبل استقبلت يستضيف تستضيف توافد غادر غادروا
geflohen flohen flüchteten flucht flüchtlinge vertrieben zuflucht angekommen eingereist
"""
DISPLACEMENT = _words(_DISPLACEMENT)
_UNIT_WORDS = """families family familles famille عائله عائلات اسره اسر عوائل familien
households household ménages ménage foyers haushalte"""
FAMILIES = _words(_UNIT_WORDS.split("\n")[0])
HOUSEHOLDS = _words(_UNIT_WORDS.split("\n")[1])
# Arabic puts the verb before its subject: "لجأ عشرات الآلاف إلى رفح", "فر الآلاف من الفاشر".
AR_VERBS = _words("""نزح نزحت نزحوا ينزح ينزحون تنزح فر فرت فروا يفر يفرون تفر لجا لجات لجاوا
لجووا يلجا يلجاون تلجا هرب هربت هربوا يهرب يهربون وصل وصلت وصلوا يصل يصلون تصل عبر عبرت
عبروا يعبر يعبرون دخل دخلت دخلوا يدخل يدخلون غادر غادرت غادروا يغادر يغادرون اضطر اضطرت
هجر هجرت تهجر احتمي احتموا يحتمي يحتمون توافد تدفق تدفقت استقبل استقبلت تستقبل يستقبل
تستضيف يستضيف استضاف استضافت اوي اوت يوي تووي""")
# ... with a glued conjunction: "وفر", "فنزح"
AR_VERBS_CLITIC = frozenset(c + w for w in AR_VERBS for c in "وف")
DISPLACEMENT = DISPLACEMENT | AR_VERBS | AR_VERBS_CLITIC
# Present-state verbs that imply displacement only beside a place: "staying in schools",
# "living in tents", "are now in Wadi Khaled".
_STOCK = """staying living live lives housed accommodated stay now camping sleeping
camp camps hébergés hébergées logés logées vivent installés installées installé trouvent
séjournent يقيم يقيمون تقيم مقيمين المقيمين يعيش يعيشون تعيش يسكن يسكنون يتواجد يتواجدون
مخيم مخيمات المخيم المخيمات"""
STOCK_VERBS = _words(_STOCK)
# Counting people at a place: "8k+ people have registered in Adré", "UNHCR recorded 45,000
# people in Moldova". Like the stock verbs these need a destination.
_REGISTER = """registered register registering recorded counted enregistré enregistrés
enregistrées enregistre recensé recensés recensées سجل سجلت سجلوا تسجيل مسجلين المسجلين"""
REGISTER = _words(_REGISTER)
# Whole-document prefilter: a report none of whose words is here has no figure.
TRIGGERS = (DISPLACEMENT | _raw(_DISPLACEMENT) | FAMILIES | HOUSEHOLDS | _raw(_UNIT_WORDS)
            | ((STOCK_VERBS | _raw(_STOCK)) - {"now"}) | REGISTER | _raw(_REGISTER))

# People nouns: a number followed by one of these counts people.
PEOPLE = _words("""
people persons person individuals individual civilians civilian refugees refugee idps idp
displaced evacuees residents villagers children women men migrants asylum-seekers seekers
arrivals newcomers others survivors inhabitants souls
personnes gens individus civils réfugiés réfugiées déplacés déplacées habitants enfants
femmes hommes migrants rescapés autres arrivants évacués évacuées
شخص اشخاص شخصا نازح نازحين نازحا لاجي لاجيين لاجيا مدني مدنيين مدنيا مواطن مواطنين
مواطنا طفل اطفال علوي علويين علويا سوري سوريين سوريا مهاجر مهاجرين فرد افراد نسمه
سودانيين سودانيون فلسطينيين فلسطينيون لبنانيين لبنانيون عراقيين عراقيون اوكرانيين
روهينغا كونغوليين تشاديين يمنيين اكراد ايزيديين مسيحيين سوداني فلسطيني لبناني عراقي
اوكراني كونغولي يمني
menschen personen flüchtlinge zivilisten einwohner kinder
""")
# Nouns that make a people figure's noun phrase about a displaced group explicitly.
DISPLACED_NOUNS = _words("""refugees refugee idps idp displaced evacuees arrivals newcomers
asylum-seekers réfugiés réfugiées déplacés déplacées نازح نازحين نازحا لاجي لاجيين لاجيا
flüchtlinge arrivants evacuees""")
# Words between a number and its noun: "10,000 Alawite civilians", "2,000 newly displaced".
NOUN_MODIFIERS = _words("""new newly more other additional internally displaced further
fresh syrian alawite lebanese sudanese rohingya palestinian ukrainian congolese
haitian iraqi afghan kurdish yazidi christian druze muslim ethnic local young elderly
vulnerable estimated registered asylum de d nouveaux nouvelles autres supplémentaires recently
just
من جديد اخرين اخري جدد""")
# Capitalised plurals naming groups of people ("Alawites", "Rohingya") count as people.
GROUP_SUFFIXES = ("ians", "ans", "ites", "ese", "is", "ks", "ds", "ens", "ines")
GROUPS = _words("Rohingya Druze Alawites Kurds Yazidis Christians Sunnis Shias Shiites")

# Nouns after a number that make it something else: deaths, objects, measures, time.
NOT_PEOPLE = _words("""
dead deaths killed bodies casualties victims wounded injured massacres massacre homes houses
buildings shelters tents parcels trucks lorries meals kits tonnes tons dollars usd euros
pounds km kilometres kilometers miles metres meters hours hour days day weeks week months
month years year minutes percent per cent pour % ٪ year-old years-old schools villages
towns checkpoints attacks strikes airstrikes rockets missiles incidents cases beds
morts tués blessés maisons tentes colis camions jours semaines mois ans heures
قتلى قتيل جرحى جريح منزل منازل مجزره مجازر خيمه خيام ساعه ساعات يوم ايام اسبوع اسابيع
شهر اشهر سنه سنوات كيلومتر دولار بالمئه بالمائه
""")

# Words that make the clause about something other than displacement.
NEGATIVE = _words("""
killed kill killing kills dead death deaths died die dying toll wounded wounding injured
injuring injuries missing arrested detained detention abducted kidnapped drowned executed
massacred massacre massacres victims bodies casualties slain murdered
returned return returning returns returnees back trapped
tués tuées tué morts mort décès blessés blessées disparus arrêtés détenus noyés massacrés
victimes rentrés rentrées retournés retour retours piégés piégées bloqués
مقتل قتل قتلى قتيل قتلوا جرحى جريح اصابه اصيب مفقود مفقودين اعتقال معتقل اعتقل غرق
مجزره مجازر ضحايا عوده عاد عادوا عايد العايدين العوده سكان سكانها سكانه تعداد
getötet tote verletzt vermisst
vote votes voters voting election elections ballot census électeurs recensement
capacity capacité accommodate تتسع يتسع تستوعب يستوعب
""")
# Aid given to people: "delivered 2,400 parcels to 1,200 households" is no figure.
AID_VERBS = _words("""
delivered distributed provided supplied assisted supported helped fed served vaccinated
treated help assist support feed serve reach target targets targeting benefit benefiting
livré livrés distribué distribués fourni aidé وزع وزعت توزيع قدم قدمت
""")
AID_NOUNS = _words("aid assistance food support help services relief مساعدات aide")
# Evacuation orders not (yet) carried out: "ordered 100,000 residents to leave".
ORDERS = _words("""ordered orders order told urged warned instructed asked ordonné ordre
امر اوامر""")
# Orders and evacuation plans reach further back: "ordered the evacuation of about 100,000",
# "evacuation orders covering 30,000", "أوامر إخلاء تشمل 30 ألفا"; unless the clause says the
# people did leave ("12,000 have been evacuated to Kharkiv", CARRIED_OUT).
STRONG_ORDERS = _words("""ordered order orders instructed directed evacuation evacuations
evacuate mandatory compulsory ordonné ordonne ordre ordres évacuation évacuer sommé
امر امرت اوامر بامر انذار انذارات اخلاء باخلاء لاخلاء الاخلاء طالب طالبت""")
CARRIED_OUT = _words("""evacuated relocated fled left arrived crossed reached moved bused bussed
évacués évacuées fui quitté arrivés arrivées نزحوا غادروا
فروا وصلوا لجاوا""")
# Modal or future wording: "could flee", "are expected to arrive" is no figure.
MODALS = _words("""could may might would will expected likely set threaten threatens
threatened risk risks can cannot awaiting await awaits due planned scheduled pourrait
pourraient risquent peuvent قد سوف سي""")
STATIVE_AFTER_MODAL = _words("be sheltering staying living hosting hosted être")
# A sentence that rejects a claim: "denied reports that 10,000 had fled".
REJECTION = _words("""denied denies deny dismissed false untrue unfounded baseless rumour
rumours rumor rumors fake hoax démenti démentent dément rumeur rumeurs faux نفى نفت تنفي
شايعات شايعه""")
POPULATION_BEFORE = _words("""town city village district camp country population home
province region municipality ville village commune population مدينه قريه""")

# Clause boundaries: a figure's place and kind are read inside its clause.
CLAUSE_CONJ = _words("and but while whereas whilst et mais tandis alors و لكن بينما")
SUBORDINATORS = _words("""after before because as when since following amid despite
après avant parce lorsque quand malgré بعد قبل بسبب""")

MONTHS = {
    **{m: i + 1 for i, m in enumerate(
        "january february march april may june july august september october november december"
        .split())},
    **{m: i + 1 for i, m in enumerate(
        "jan feb mar apr may jun jul aug sep oct nov dec".split())},
    "sept": 9,
    **{normalize(m): i + 1 for i, m in enumerate(
        "janvier février mars avril mai juin juillet août septembre octobre novembre décembre"
        .split())},
    **{normalize(m): i + 1 for i, m in enumerate(
        "يناير فبراير مارس ابريل مايو يونيو يوليو اغسطس سبتمبر اكتوبر نوفمبر ديسمبر".split())},
    **{normalize(m): i + 1 for i, m in enumerate(
        "كانون_الثاني شباط اذار نيسان ايار حزيران تموز اب ايلول تشرين_الاول تشرين_الثاني"
        " كانون_الاول".split())},
    **{m: i + 1 for i, m in enumerate(
        "januar februar märz april mai juni juli august september oktober november dezember"
        .split())},
}
WEEKDAYS = {
    **{d: i for i, d in enumerate(
        "monday tuesday wednesday thursday friday saturday sunday".split())},
    **{d: i for i, d in enumerate("lundi mardi mercredi jeudi vendredi samedi dimanche".split())},
    **{normalize(d): i for i, d in enumerate(
        "الاثنين الثلاثاء الاربعاء الخميس الجمعه السبت الاحد".split())},
}

# Prepositions and verbs before a place: where people went, or where they came from.
DEST_PREPS = _words("""to into in at toward towards for across around inside within reaching
reached entered entering enter reach arrived via onto à au aux en vers dans sur jusqu
الى في نحو باتجاه داخل nach rejoint rejoignent rejoindre gagne gagnent""")
# Relative words whose antecedent is the place before them: "Adré, where 400,000 live".
RELATIVE = frozenset({"where", "où", "حيث"})
ORIGIN_PREPS = _words("""from fled fleeing left leaving escaped escaping deserted depuis quitté
fui من aus""")
LANDING = _words("""arrived arriving arrive arrivals landed landing land stranded stuck ashore
disembarked sheltering camped trapped living""")
THROUGH = _words("crossed crossing cross crosses through via traversé franchi عبر")
# Verbs whose subject is a destination: "Tawila is hosting 300,000", "Chad has received".
HOSTING = _words("""hosting hosts hosted host shelters sheltering received receives
welcomed accueille accueillent accueilli يستضيف تستضيف استقبل استقبلت يوي""")
# Words that may sit between a preposition and the place: "into the Baalbek-Hermel ...",
# "toward the Lebanese border", "sur la base russe de Hmeimim".
PLACE_FILLERS = _words("""the a an neighbouring neighboring nearby eastern western northern
southern central north south east west northeastern northwestern southeastern southwestern
rural coastal city town village camp camps base air airbase naval border crossing province
governorate district region area town's country's capital of la le les l d de du des une un
russe russian military makeshift informal refugee displacement site sites settlement
mountains mountain valley port mont
far extreme north-east north-west south-east south-west northeast northwest southeast southwest
nord sud est ouest centre lest louest lextreme extreme nord-est nord-ouest sud-est sud-ouest
orientale occidentale septentrionale meridionale region
شرق غرب شمال جنوب وسط شرقي غربي شمالي جنوبي اقصى اقصي ريف""")
# Direction words before a country: "northern Lebanon", "le nord du Liban", "شمال لبنان" may
# name the country's own region ("North Lebanon" governorate) when the gazetteer has it.
DIRECTIONS = {
    **dict.fromkeys(_words("north northern nord شمال شمالي"), "north"),
    **dict.fromkeys(_words("south southern sud جنوب جنوبي"), "south"),
    **dict.fromkeys(_words("east eastern est lest شرق شرقي"), "east"),
    **dict.fromkeys(_words("west western ouest louest غرب غربي"), "west"),
}
ANAPHORS = {
    "base": ("site",), "airbase": ("site",), "camp": ("site",), "camps": ("site",),
    "site": ("site",), "settlement": ("site",), "crossing": ("site",),
    "town": ("city", "site", "admin2"), "city": ("city", "admin2"), "village": ("city", "site"),
    "area": ("site", "admin2", "admin1", "city"), "region": ("admin1", "admin2", "site"),
    "governorate": ("admin1",), "province": ("admin1",), "district": ("admin2", "admin1"),
    "state": ("admin1",), "country": ("country",),
    "there": ("site", "city", "admin2", "admin1", "country"),
    "ville": ("city", "admin2"), "camp_fr": ("site",), "pays": ("country",),
    # Arabic carries its article: "جنوب البلاد" (the south of the country)
    "البلاد": ("country",), "البلد": ("country",), "المدينه": ("city", "admin2"),
    "المخيم": ("site",), "الولايه": ("admin1",), "المحافظه": ("admin1",),
    "المنطقه": ("site", "admin2", "admin1", "city"),
}
# Words after a country adjective that make it a place: "the Lebanese border".
ADJ_PLACE_NOUNS = _words("""border side territory coast soil frontier mainland capital
countryside interior frontière côte territoire sol capitale الحدود الاراضي الساحل""")

# Time words for kind and as_of.
NEW_MARKERS = _words("""another further additional overnight yesterday today daily
tonight hier aujourd autres supplémentaires اخرون اخري اضافيين امس اليوم يوميا""")
TOTAL_MARKERS = _words("so total altogether overall cumulative since bringing au total منذ")

# --- Grammar of the figure's own clause (issue 10, items 2-5).
# Misspellings common enough in real reports to read as the word meant.
TYPOS = {normalize(k): normalize(w) for k, w in {
    "familis": "families", "famillies": "families", "familes": "families",
    "familys": "families", "poeple": "people", "peolpe": "people", "refugess": "refugees",
    "refugges": "refugees", "idsp": "idps", "persones": "personnes",
}.items()}
# Lower-case words of unknown meaning may stand between a number and its noun when they
# look like adjectives or participles: "2,500 unregistered IDPs", "900 newly arrived".
MODIFIER_SUFFIXES = ("ed", "al", "ese", "ic", "ive", "ous", "ary", "less", "ly", "ian", "ish")
# Nouns counting events of movement, each a person: "7,400 crossings", "14,000 displacements".
EVENT_NOUNS = _words("""crossings entries displacements arrivals departures movements
arrivées entrées passages déplacements traversées""")
# Verbs saying people are still somewhere, read without a noun: "1,200 remain in shelters".
REMAIN = _words("""remain remained remaining restent restaient demeurent يبقى يبقون""")
# Demographic nouns: "including 300 children" breaks a figure down, it is no second figure.
DEMOGRAPHIC = _words("""children child women girls boys men elderly minors infants babies
orphans adolescents youths enfants femmes hommes filles garçons mineurs personnes_agees
bébés نساء اطفال طفل امراه رجال قاصرين""")
# Words saying the people did leave after an evacuation was ordered or planned.
CARRIED_OUT_MORE = _words("""completed carried finished concluded achevée achevé terminée
terminé effectuée effectué اكتملت تمت""")
# Death phrases: "72 losing their lives", "ont perdu la vie", "لقوا حتفهم".
DEATH_PHRASES: frozenset[tuple[str, ...]] = frozenset({
    ("their", "lives"), ("his", "life"), ("her", "life"), ("la", "vie"), ("leur", "vie"),
    ("la", "vida"), ("sus", "vidas"), ("حتفهم",), ("حتفه",),
})
# "at risk of cholera" leaves a displaced stock a stock; "at risk of eviction" is a forecast.
RISK_NOUNS = _words("risk risks danger threat")
# "set up", "due to the fighting": never modal.
NOT_MODAL_AFTER = {"set": _words("up"), "due": _words("the a an")}
# Causes after a movement verb: "fled due to the killings", "en raison des combats".
CAUSES = _words("""due because amid after following over fearing fear from against
raison cause suite بسبب جراء اثر""")
# Qualifier typos and comparisons: "more that 7,000", "closer to 20,000".
QUALIFIER_EXTRA = (
    (("more", "that"), "more_than"), (("less", "that"), "less_than"),
    (("fewer", "that"), "less_than"), (("closer", "to"), "about"),
    (("upward", "of"), "more_than"),
)

# --- Kind from the period (issue 10, item 4).
# Speech verbs: a date next to one dates the announcement, not the movement ("..., officials
# said on Friday" leaves a stock a total).
SPEECH = _words("""said says say told tell reported reports announced announces added adding
stated states confirmed according noted estimated estimates
indiqué indique indiquent déclaré déclare annoncé annonce affirmé affirment affirme précisé
précise selon dit ajouté rapporté
قال قالت قالوا اعلن اعلنت ذكر ذكرت افاد افادت اكد اكدت بيان بحسب وفق صرح
dijo dijeron informó informaron anunció anunciaron afirmó según señaló declaró""")
# Words that make the figure a flow when they modify its noun: "7,300 new arrivals".
NEW_NOUN_MODIFIERS = _words("""new newly fresh nouveaux nouvelles nouveau nouvelle nouvellement
جديد جدد جديده nuevos nuevas nuevo nueva""")
# "since the beginning of the week": a flow within a period, not a running total.
BEGINNING = _words("""beginning start début debut بدايه مطلع inicio comienzo""")
# Period units and counted periods: "in three days", "en une semaine", "في يوم واحد".
PERIOD_UNITS_MORE = _words("""days weeks hours nights months jours jour semaines semaine heures
heure nuit nuits mois ساعه ساعات يوم ايام اسبوع اسابيع الاسبوع الساعات شهر الشهر
dias dia horas hora semana semanas mes meses noche""")
RECENT_MORE = _words("""recent dernière dernières derniers dernier passée passé الماضي الماضيه
الاخيره ultimas ultimos ultima ultimo pasada pasado""")
SMALL_COUNTS = _words("""one two three four five six seven a un une deux trois quatre cinq
واحد واحده يومين un una dos tres cuatro cinco""")
DURING_MORE = _words("in en within over during خلال في durante dentro")
# Date ranges: "between 1 and 12 March", "from 2 to 14 June", "entre le 20 et le 31 mars".
RANGE_OPENERS = _words("between from entre du من بين desde")
# Verbs of a present stock: "another 55,000 refugees live outside the camp" is a total.
STOCK_KIND = _words("""live lives living hosting hosts hosted housed house sheltering
shelters staying stay remain remained remaining vivent hébergés hébergées abritées abrités
abrite accueille accueillent restent يعيش يعيشون يقيم يقيمون تستضيف يستضيف يضم تضم
viven permanecen albergados acoge""")
# "..., bringing the number to 8,700": what follows is a running total, not this figure's period.
BRINGING = _words("""bringing taking raising pushing portant porte portent ليرتفع ليصل لترتفع
ليبلغ لتصل elevando llevando""")
# Short periods whose beginning opens a flow: "since the beginning of the week".
SHORT_PERIODS = _words("""week month weekend semaine mois الاسبوع الشهر اسبوع شهر semana mes""")
# Subordinators opening a fronted clause whose time phrase is not the figure's: "After gangs
# killed 115 people on Thursday, 6,270 residents fled".
FRONT_SUBORDINATORS = _words("""after before when following après avant lorsque quand بعد عندما
tras después cuando""")
