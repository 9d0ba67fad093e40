// Words as the lexical signals and the reasons see them: folded to lowercase without accents,
// light stemming, and the words that say nothing about a story (function words, narration
// filler, words about the medium itself, genre names). Pure and browser-safe.

/** Function words and the filler overviews narrate with ("must", "finds", "life"). */
const FUNCTION_AND_FILLER =
  "a about above after again against all also am among an and any are as at be because been before being below between both but by can " +
  "could did do does doing down during each few for from further had has have having he her here hers herself him himself his how i if in " +
  "into is it its itself just me more most my myself no nor not now of off on once only or other our ours out over own same she should so " +
  "some such than that the their theirs them themselves then there these they this those through to too under until up very was we were " +
  "what when where which while who whom why will with would you your yours yourself yourselves one two three four five first second last " +
  "new old young man woman men women people person life lives world year years day days time times way " +
  "must find finds found take takes become becomes becoming get gets make makes made begin begins soon set sets " +
  "tell tells try tries trying help helps turn turns lead leads leading face faces around away back still even ever every another much " +
  "many well whose upon within without across along behind beyond yet though although however meanwhile discover discovers " +
  "decide decides learn learns start starts known know knows became came come comes went goes going gone including finding little big great good best " +
  "de la le el los las der die das du des et y en";

/**
 * Narration and everyday words that many overviews use whatever their story ("a small town",
 * "his secret", "left", "future"): picked by hand from the most frequent overview words of an
 * 11,679-movie TMDB catalogue, leaving out the topical ones (prison, drug, alien, war).
 */
const NARRATION =
  "friend family love live home father girl school wife town group secret daughter high mother meet city mysterious son together team fall " +
  "work death save return american small force brother boy night past plan named fight dream true former relationship forced order themselve " +
  "house want student living long power attempt thing event sister job couple stop husband move bring star like parent end local change " +
  "beautiful girlfriend place leave left real struggle follow children dangerous country future dead run head keep seem never everything join " +
  "hope travel may show chance search child lost based encounter trip career arrive break look heart put case business next need something " +
  "later called member prove control unexpected hand partner determined believe truth tale form single problem give play character part " +
  "suddenly middle far right experience boyfriend turned nothing self finally strange see quickly perfect personal free threaten taken " +
  "following visit path desperate deal late top call lose enter successful since side taking alone despite making stay hit spend led think " +
  "getting happen accidentally hard fear name bad always win involved unlikely use special ends several guy deep stand looking create final " +
  "age mean grow wrong rise course cause close famous trouble line seemingly inside pair struggling might six test situation really share " +
  "question fellow eventually using rich anything open older send figure challenge terrifying sinister deadly powerful legendary wealthy " +
  "ruthless violent dark evil real";

/** Words about the medium, not the story: "both mention "series"" tells a fan nothing. */
const MEDIUM = "story stories film films movie movies series show shows season seasons episode episodes sequel prequel part chapter tv television";

/** Genre names: the card shows genres already, and a shared "crime" is no reason. */
const GENRES =
  "action adventure animation animated comedy comedic crime criminal documentary drama dramatic fantasy history historical horror music musical " +
  "mystery romance romantic science fiction sci-fi thriller western family war kids reality";

const STOPWORDS = new Set(FUNCTION_AND_FILLER.split(" "));
const NOT_A_REASON = new Set([...STOPWORDS, ...MEDIUM.split(" "), ...GENRES.split(" "), ...NARRATION.split(" ")]);

/** Lowercase words of a text without accents; a possessive 's goes with its word. */
export function foldedWords(text: string): string[] {
  return text
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/['’]s\b/g, "")
    .split(/[^\p{L}\p{N}]+/u)
    .filter(Boolean);
}

export function isStopword(word: string): boolean {
  return STOPWORDS.has(word);
}

/** Whether a word may be cited in a reason: not a stopword, the medium, a genre or a number. */
export function isReasonWord(word: string): boolean {
  const w = word.toLowerCase();
  return !NOT_A_REASON.has(w) && !NOT_A_REASON.has(stem(w)) && /\p{L}/u.test(w) && !/^\d/.test(w);
}

/** A light plural stem, so "gangsters" meets "gangster" and "cities" meets "city". */
export function stem(word: string): string {
  let w = word.toLowerCase().replace(/['’]s$/, "");
  if (w.length > 4 && w.endsWith("ies")) w = `${w.slice(0, -3)}y`;
  else if (w.length > 4 && w.endsWith("s") && !/(ss|us|is)$/.test(w)) w = w.slice(0, -1);
  return w;
}
