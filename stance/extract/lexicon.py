"""The word lists and patterns of English attribution: reporting verbs by construction, participles,
pronoun subjects, fillers, captions, non-comments, names. General English, no article-specific strings;
used by `stance.extract.grammar` and the extractor."""

from __future__ import annotations

import re

from stance.extract.tags import QUOTE_VERBS

MASK = "░"  # stands in for quoted text, so verbs inside quotations are not read as tags

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
WEEKDAY = re.compile(r"\b(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)\b(?!['’]s)")
MONTHS = {"january", "february", "march", "april", "may", "june", "july", "august", "september",
          "october", "november", "december"}

# Reporting verbs that take a content clause, with or without "that".
_BARE = ("said says say told tells added adds stated states wrote writes warned warns argued argues "
         "insisted insists claimed claims noted notes declared declares asserted asserts stressed stresses "
         "emphasized emphasised emphasizes emphasises maintained maintains contended contends predicted "
         "predicts believes believed thinks thought reiterated reiterates repeated repeats recalled recalls "
         "explained explains suggested suggests mused muses replied replies responded responds "
         "countered counters conceded concedes complained complains cautioned cautions assured assures "
         "acknowledged acknowledges admitted admits affirmed affirms reaffirmed reaffirms promised promises "
         "vowed vows pledged pledges questioned questions doubted doubts announced announces confirmed "
         "confirms denied denies indicated indicates signalled signaled signals hinted hints urged urges "
         "threatened threatens asked asks reported reports clarified clarifies iterated implied implies "
         "warn argue insist contend caution predict stress claim").split() + ["made clear", "made it clear",
                                                                         "makes clear", "makes it clear",
                                                                         "pointed out", "points out"]
REPORT_VERBS = set(_BARE) | QUOTE_VERBS | {"cast doubt", "casts doubt", "expressed doubt", "expressed doubts", "expressed concern",
                             "expressed confidence", "raised doubts"}
# Forms that are also common nouns or need "that" to be a report.
NEEDS_THAT = {"mused", "muses", "states", "claims", "notes", "questions", "doubts", "announced", "announces", "confirmed", "confirms",
              "denied", "denies", "indicated", "indicates", "signalled", "signaled", "signals", "hinted", "hints",
              "admitted", "admits", "acknowledged", "acknowledges", "repeated", "repeats", "recalled", "recalls",
              "responded", "responds", "replied", "replies", "complained", "complains", "believed", "thought",
              "cast doubt", "casts doubt", "expressed doubt", "expressed doubts", "expressed concern",
              "expressed confidence", "raised doubts", "affirmed", "affirms", "reaffirmed", "reaffirms",
              "explained", "explains", "urged", "urges", "asked", "asks"} | (QUOTE_VERBS - set(_BARE))
# Verbs whose bare complement is as often a noun phrase as a clause: a clause needs a finite verb.
CHECK_BARE = {"reported", "reports", "implied", "implies", "iterated", "clarified", "clarifies", "pointed out",
              "points out"}
OBJECT_VERBS = {"told", "tells", "assured", "assures", "warned", "warns", "reminded", "reminds", "informed",
                "informs", "urged", "urges", "promised", "promises"}
INFINITIVE_VERBS = {"pledged", "pledges", "vowed", "vows", "promised", "promises", "threatened", "threatens"}
WHETHER_VERBS = {"questioned", "questions", "doubted", "doubts", "cast doubt", "casts doubt", "asked", "wondered",
                 "expressed doubt", "expressed doubts", "raised doubts"}
PARTICIPLES = ("saying adding claiming stressing arguing insisting warning noting asserting declaring explaining "
               "suggesting calling telling questioning").split()
EVALUATIVE = {"called", "calls", "slammed", "slams", "described", "describes", "branded", "brands", "dismissed",
              "dismisses", "labelled", "labeled", "denounced", "denounces", "hailed", "hails", "praised", "praises"}

_verb_alternatives = sorted(REPORT_VERBS | EVALUATIVE | {"quoted"}, key=len, reverse=True)
VERB = re.compile(r"\b(" + "|".join(re.escape(v).replace(r"\ ", r"\s+") for v in _verb_alternatives) + r")\b")
PARTICIPLE = re.compile(r"(?:(?<=,)|(?<=^)|(?<=\bby)|(?<=\bwhile)|(?<=\balso)|(?<=\band))\s*\b(" + "|".join(PARTICIPLES) + r")\b",
                        re.IGNORECASE)
ACCORDING = re.compile(r"\b[Aa]ccording to\s+([^,.;]+)")

PRONOUN_SUBJECTS = {"he", "she", "they", "we", "i", "it", "you", "there", "washington", "this"}
VERBISH = set(("would will could should must can may might shall is was were are am has have had did does do "
               "won't wouldn't can't cannot isn't wasn't aren't doesn't don't didn't hasn't haven't needs needed "
               "wants wanted sees saw considers considered intends intended remains remained spends spent puts "
               "put viewed views knows knew expects expected plans planned").split())
PREPOSITIONS = set(("in on at during after before via from with over through while since until by about "
                    "earlier later last this next also again repeatedly previously recently yesterday today "
                    "tonight ago week month year morning afternoon evening night").split()) | set(WEEKDAYS) | MONTHS
# One filler that may sit between a speaker and a reporting verb ("Smith also said", "Smith on Monday
# said"). Matched once at a time against a short tail (see grammar.strip_fillers): a repeated group here,
# as in `(?:\s+|filler)+$`, backtracks exponentially on a long run of spaces.
FILLER = re.compile(r"\b(?:has|have|had|also|repeatedly|previously|later|earlier|then|once|again|"
                    r"officially|recently|publicly|privately|reportedly|just|already|would|will|did|does|only|"
                    r"openly|firmly|flatly|initially|subsequently|separately|further|still|often|long|again|now|never|"
                    r"even|forcefully|strongly|sharply|bluntly|explicitly|directly|specifically|clearly|quickly|"
                    r"immediately|swiftly|angrily|frequently|emphatically|personally|formally|jointly|similarly|"
                    r"likewise|notably|pointedly|privately|"
                    r"(?:on[ \t]+|last[ \t]+|this[ \t]+)?(?:Mon|Tues|Wednes|Thurs|Fri|Satur|Sun)day|on[ \t]+\w{1,12}[ \t]+\d{1,4}|"
                    r"in[ \t]+a[ \t]+statement|in[ \t]+an[ \t]+interview)$")
FILLER_TAIL = 40  # longest filler, with some spacing
# A speaker tag's verb (", the minister said") or the quotation an evaluative verb reports ("X called it
# 'a disgrace'") lies within this many characters; further away it belongs to another clause.
TAG_REACH = 120
SENTENCE_STARTERS = {"however", "but", "and", "in", "at", "on", "this", "those", "these", "such", "while",
                     "earlier", "recently", "meanwhile", "officially", "notably", "for", "some", "several", "the",
                     "a", "an", "during", "after", "before", "asserting", "doubtful", "amid", "even", "yet",
                     "so", "then", "also", "still", "it", "if", "when", "as", "since", "although", "though",
                     "because", "separately", "first", "last", "both", "neither", "either", "many", "most"}
NP_WORDS = set(("of the a an for and spokesperson spokesman spokeswoman spokespeople official officials "
                "president prime minister secretary general chief chancellor leader head ambassador envoy "
                "expert analyst adviser advisor embassy ministry department government office campaign "
                "administration pick nominee foreign defence defense policy top senior former vice deputy "
                "state treasury commander diplomat diplomats newspaper paper agency broadcaster bloc bloc's "
                "aide aides lawmaker lawmakers source sources expert experts analysts critics ministers "
                "minister's officials' leaders reports media").split())

CAPTION = re.compile(r"\b(?:Photograph|Photo|Image|Picture|Illustration|Credit)s?\s*:|\((?:photo|image|picture)\b[^)]{0,200}\)"
                     r"|Getty Images|/(?:AP|AFP|Reuters|EPA|Bloomberg)\b", re.IGNORECASE)
NON_COMMENT = re.compile(r"did not (?:immediately )?(?:respond|reply|return|comment|answer)|declined to comment|"
                         r"(?:request|requests) for comment|could not be reached|no immediate comment|"
                         r"did not directly answer|refused to comment", re.IGNORECASE)
NAME_RUN = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+(?:[A-Z][\w’'.-]*|of|the|von|van|der|de|bin|al)){0,5}")
TOKEN = re.compile(MASK + r"+|[\w’'.-]+|[,;:—–]")

# Reports whose content is the verb phrase itself: a noun phrase or an infinitive after a verb of saying
# or judging ("expressed approval of …", "praised X for …", "called for …", "urged X to …"). The statement
# runs from the verb. Forms are past tense and third person; each alternative is matched as whole words.
_ACT = ("expressed expresses voiced voices praised praises lauded lauds hailed hails commended commends "
        "criticized criticised criticizes criticises condemned condemns decried decries lamented laments "
        "lambasted lambastes blasted blasts chided chides scolded scolds berated berates rebuked rebukes "
        "castigated castigates excoriated excoriates accused accuses blamed blames lectured lectures "
        "urged urges demanded demands proposed proposes recommended recommends requested requests "
        "reaffirmed reaffirms affirmed affirms reiterated reiterates underlined underlines underscored "
        "underscores highlighted highlights welcomed welcomes rejected rejects dismissed dismisses "
        "denied denies refused refuses agreed agrees offered offers floated floats defended defends "
        "endorsed endorses advocated advocates threatened threatens pledged pledges vowed vows promised "
        "promises questioned questions acknowledged acknowledges conveyed conveys recommitted recommits "
        "critiqued critiques rebuffed rebuffs objected objects opposed opposes warned warns "
        "assured assures reassured reassures admonished admonishes cited cites").split()
_ACT_PHRASES = ("called for|calls for|called on|calls on|pressed for|presses for|pushed for|pushes for|pleaded for|"
                "appealed for|argued for|argues for|spoke of|spoke about|speaks of|talked about|talks about|"
                "complained about|complained of|cast doubt on|casts doubt on|raised doubts about|raised concerns about|"
                "raised the prospect of|raised the possibility of|raised the threat of|took aim at|takes aim at|"
                "hit out at|hits out at|insisted on|insists on|pointed to|points to|pointed out|points out|made the case for|"
                "made the case that|made the case to|"
                r"made(?:\s\w+)?\sdemands?\sfor|made(?:\s\w+)?\scalls?\sfor|"
                "made a case for|made an impassioned case for|made a strong case for|went so far as to")
ACT_VERBS = set(_ACT)
ACT_VERB = re.compile(r"\b(" + _ACT_PHRASES.replace(" ", r"\s+") + "|" + "|".join(sorted(_ACT, key=len, reverse=True))
                      + r")\b")
# Participles of the same acts, after a comma or "and" ("…, expressing support for …").
ACT_PARTICIPLES = ("expressing voicing praising lauding hailing criticizing criticising condemning decrying lamenting "
                   "lambasting blasting chiding accusing blaming urging demanding proposing reaffirming affirming "
                   "reiterating restating underlining highlighting welcoming rejecting dismissing denying refusing "
                   "threatening pledging vowing promising").split() + [
    r"calling\s+(?:for|on)", r"pressing\s+for", r"pushing\s+for", r"pointing\s+to", r"insisting\s+on",
    r"complaining\s+(?:about|of)", r"taking\s+\w+\s+to\s+task"]
ACT_PARTICIPLE = re.compile(r"(?:(?<=,)|(?<=\band)|(?<=^))\s*\b(" + "|".join(ACT_PARTICIPLES) + r")\b")
# Where a verb-phrase report ends before the sentence does: a relative clause, a narrator's participle
# ("…, raising concerns"), or a contrast or circumstance added by the writer.
ACT_END = re.compile(r",\s*(?:which|who|whom|where|raising|prompting|sparking|drawing|triggering|fueling|fuelling|"
                     r"a\s+move|a\s+day|days|weeks|months|even\s+as|as|after|before|while|despite|amid|but|even|"
                     r"suggesting|calling|urging|warning|arguing|insisting|accusing|claiming|vowing|pledging)\b"
                     r"|,?\s*(?:stating|saying|adding|writing|telling|noting|declaring)\b"
                     r"|\s(?:despite|amid|even\s+as|when|because)\s|\s[—–]\s|[,:]\s*" + MASK)
# Objects that make an act no statement: bare acts with no content ("thanked the crowd", "declined to comment").
BARE_ACT_OBJECT = re.compile(r"\s*(?:to\s+comment|comment|the\s+(?:comments?|remarks?|report|reports|claims?|idea|notion)"
                             r"|it|them|this|that)\s*[.,;]?\s*$|\s*to\s+(?!be\b)[a-z]+\s+(?:the|a|an)\s+move\b")
# After a subject of this kind the -s form is a noun ("Trump's demands", "and questions surrounding …").
# "Putin accused of war crimes", "praised for": these verbs take their object first; "of"/"for"/"by"
# right after them is a passive, and the subject is the one accused or praised, not a speaker.
OBJECT_FIRST_ACTS = {"accused", "blamed", "criticized", "criticised", "praised", "lauded", "hailed", "commended",
                     "condemned", "chided", "scolded", "lambasted", "blasted", "berated", "rebuked", "castigated",
                     "excoriated", "lectured", "urged", "welcomed", "dismissed", "rejected", "questioned"}
NOUN_LIKE_ACTS = {"demands", "questions", "offers", "requests", "proposes", "threatens", "pledges", "vows",
                  "promises", "floats", "objects", "rejects", "welcomes", "defends", "denies", "seeks"}
