"""Builds train.jsonl and heldout.jsonl of the civility-own dataset (see README.md).

Deterministic: no randomness, so re-running reproduces the committed files byte for byte.
Hand-written sentences plus a few frames crossed with group names; the same groups appear in
neutral frames as often as in hateful ones so the model cannot learn "group name = toxic".
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

from civility.scoring.constants import ATTRIBUTES as A


def lab(*on: str) -> dict[str, int]:
    return {a: int(a in on) for a in A}


DEHUM = lab("TOXICITY", "SEVERE_TOXICITY", "INSULT", "IDENTITY_ATTACK", "DEHUMANIZATION")
DEHUM_THREAT = lab(
    "TOXICITY", "SEVERE_TOXICITY", "INSULT", "IDENTITY_ATTACK", "DEHUMANIZATION", "THREAT"
)
GROUP_THREAT = lab("TOXICITY", "SEVERE_TOXICITY", "THREAT", "IDENTITY_ATTACK")
GROUP_ATTACK = lab("TOXICITY", "INSULT", "IDENTITY_ATTACK")
THREAT = lab("TOXICITY", "SEVERE_TOXICITY", "THREAT")
INSULT = lab("TOXICITY", "INSULT")
PROF_INSULT = lab("TOXICITY", "INSULT", "PROFANITY")
PROFANE = lab("TOXICITY", "PROFANITY")
CLEAN = lab()

TRAIN_GROUPS = [
    "Jews",
    "Muslims",
    "Christians",
    "immigrants",
    "refugees",
    "black people",
    "Mexicans",
    "gay people",
    "Arabs",
    "Hindus",
    "Catholics",
    "Asians",
    "Roma",
    "women",
    "trans people",
    "Africans",
    "Palestinians",
    "Israelis",
]
HELD_GROUPS = [
    "Sikhs",
    "Chinese people",
    "migrants",
    "Somalis",
    "lesbians",
    "Hispanics",
    "Ukrainians",
    "Russians",
    "Buddhists",
    "disabled people",
]

TRAIN_FRAMES = [
    ("{g} are rats that should be exterminated.", DEHUM_THREAT),
    ("{g} are vermin.", DEHUM),
    ("{g} are cockroaches infesting our country.", DEHUM),
    ("{g} are parasites feeding off the rest of us.", DEHUM),
    ("{g} are subhuman.", DEHUM),
    ("{g} are animals, not people.", DEHUM),
    ("{g} are a disease that must be wiped out.", DEHUM_THREAT),
    ("Death to {g}!", GROUP_THREAT),
    ("Kill all {g}.", GROUP_THREAT),
    ("Curse on the {g}, they ruin everything.", GROUP_ATTACK),
    ("I hate {g}, every single one of them.", GROUP_ATTACK),
    ("{g} are a cancer on this nation.", DEHUM),
    # More hateful frames (1.2.0), so the neutral "{g} are ..." frames added below are matched by
    # as many hateful ones and our rows keep about the share of toxic rows they had (~40 %).
    # Worded without "should": hateful "{g} should be ..." frames made "should" itself a cue.
    ("{g} are criminals, every last one of them.", GROUP_ATTACK),
    ("{g} are lazy and live off the rest of us.", GROUP_ATTACK),
    ("{g} are too stupid to run their own lives.", GROUP_ATTACK),
    ("{g} are ruining this country and should get out.", GROUP_ATTACK),
    ("{g} are disgusting and I don't want them near my kids.", GROUP_ATTACK),
    ("{g} are liars and thieves by nature.", GROUP_ATTACK),
    ("Never trust {g}, they are all scum.", GROUP_ATTACK),
    ("Ban {g} from this country, all of them.", lab("TOXICITY", "IDENTITY_ATTACK")),
    ("Beat {g} in the streets until they leave.", GROUP_THREAT),
    ("{g} breed like rats and spread disease.", DEHUM),
    ("Their whole culture is backward and sick; {g} are a plague.", DEHUM),
    ("{g} need to be put in camps.", GROUP_THREAT),
    # Neutral frames with the same groups (as many as hateful ones).
    ("{g} gathered on Sunday to remember the victims of the fire.", CLEAN),
    ("The survey interviewed {g} living in the city about housing costs.", CLEAN),
    ("Many {g} have faced discrimination for centuries.", CLEAN),
    ("The museum exhibit covers the history of {g} in the region.", CLEAN),
    ("My neighbours are {g} and they helped us move in.", CLEAN),
    ("Local {g} organised a food drive for the flood victims.", CLEAN),
    ("Chanting 'death to {g}' is vile and should be condemned.", CLEAN),
    ("Calling {g} vermin is dehumanizing language and has no place here.", CLEAN),
    ("The report says attacks on {g} rose sharply last year.", CLEAN),
    ("Politicians who call {g} rats are repeating old propaganda.", CLEAN),
    ("{g} deserve the same rights as everyone else.", CLEAN),
    ("Several {g} were killed in the attack, police said.", CLEAN),
    # Neutral generalizations in the hateful frames' own shape ("{g} are ..."): with the group
    # name blinded, 8 hateful "{g} are ..." frames and no neutral one taught the model that
    # "<group> are ..." is itself a sign of hate (1.2.0).
    ("{g} are part of this city's history.", CLEAN),
    ("{g} are our neighbours, colleagues and friends.", CLEAN),
    ("{g} are underrepresented on the city council.", CLEAN),
    ("{g} are as varied as any other group of people.", CLEAN),
    ("{g} are often the target of discrimination in housing, the study found.", CLEAN),
    ("{g} are not a monolith; their views differ as much as anyone's.", CLEAN),
    ("{g} are more likely to volunteer than the national average.", CLEAN),
    ("{g} are people like everyone else, with the same hopes for their kids.", CLEAN),
    ("{g} need better access to affordable housing and healthcare.", CLEAN),
    ("{g} have their own festivals, food and music, and they share them.", CLEAN),
    ("{g} should have a say in how the city is run.", CLEAN),
    ("{g} should be able to worship, marry and work in peace.", CLEAN),
    ("{g} should be represented on the school board.", CLEAN),
]
HELD_FRAMES = [
    ("{g} are filthy rats, exterminate them.", DEHUM_THREAT),
    ("{g} are nothing but vermin crawling out of the sewers.", DEHUM),
    ("{g} are parasites and should be treated like pests.", DEHUM),
    ("Gas the {g}.", GROUP_THREAT),
    ("Death to all {g}.", GROUP_THREAT),
    ("{g} are subhuman scum.", DEHUM),
    ("{g} held a vigil outside city hall last night.", CLEAN),
    ("The council met with {g} to discuss the new school.", CLEAN),
    ("The slogan 'death to {g}' was painted on a wall; the mayor called it disgusting.", CLEAN),
    ("Comparing {g} to rats is exactly how genocides start, and we must reject it.", CLEAN),
    # 1.5.0: a quoted chant reported and condemned, and one endorsed.
    (
        'Marchers were heard chanting "Curse on the {g}, death to them"; the paper '
        "printed the words and condemned them.",
        CLEAN,
    ),
    ('"Death to {g}" - the marchers only said what everyone thinks.', GROUP_THREAT),
]

TRAIN_SENTENCES: list[tuple[str, dict[str, int]]] = [
    # threats / incitement / cheering killing of prisoners
    ("Kill them all and let God sort them out.", THREAT),
    ("I will find you and I will kill you.", THREAT),
    ("Someone should put a bullet in his head.", THREAT),
    ("Line them up against a wall and shoot them.", THREAT),
    ("Hang every last one of those traitors.", THREAT),
    ("Burn their houses down with them inside.", THREAT),
    ("You'd better watch your back, I know where you live.", THREAT),
    ("Good, shoot the prisoners, they deserve nothing better.", THREAT),
    ("Execute the prisoners, no trial, no mercy. I'd cheer every shot.", THREAT),
    ("Great news that the prisoners were beaten to death, do it again.", THREAT),
    ("Let the captured soldiers rot and die, I hope they suffer.", THREAT),
    ("They should torch the mosque and everyone in it.", GROUP_THREAT),
    ("Blow up the synagogue.", GROUP_THREAT),
    ("Somebody needs to take out the reporter who wrote this.", THREAT),
    ("I hope your whole family dies in a fire.", THREAT),
    ("We're coming for you with rope.", THREAT),
    ("Drown the migrants before they reach the beach.", GROUP_THREAT),
    ("Every one of them deserves a bullet.", THREAT),
    ("Slit their throats.", THREAT),
    ("I'm going to beat you until you can't walk.", THREAT),
    # dehumanization without a named group
    ("These people are rats to be exterminated.", DEHUM_THREAT),
    ("They are cockroaches and we need pest control.", DEHUM),
    ("Subhuman filth like them should not be allowed to breed.", DEHUM),
    ("They breed like rabbits and spread like a plague.", DEHUM),
    ("Those savages are not even human.", DEHUM),
    ("They're just parasites sucking the country dry.", DEHUM),
    ("Vermin, all of them. Clean them out.", DEHUM_THREAT),
    ("They are a virus that needs to be eradicated.", DEHUM_THREAT),
    # insults / profanity at individuals
    ("You are a pathetic moron.", INSULT),
    ("Shut up, you ignorant idiot.", INSULT),
    ("What a clueless clown this author is.", INSULT),
    ("Only a complete imbecile would believe this.", INSULT),
    ("You're a lying sack of garbage.", INSULT),
    ("Go to hell, you worthless piece of shit.", PROF_INSULT),
    ("Fuck off, asshole.", PROF_INSULT),
    ("This is fucking bullshit.", PROFANE),
    ("Holy shit, what a damn mess.", PROFANE),
    ("You dumb bitch.", PROF_INSULT),
    ("The mayor is a spineless coward and a crook.", INSULT),
    ("Are you really this stupid or just pretending?", INSULT),
    # news language about violence (negatives)
    ("The army said five soldiers were killed in clashes near the border.", CLEAN),
    ("Militants killed five soldiers in an overnight ambush, officials said.", CLEAN),
    ("Police said the suspect shot two people before he was arrested.", CLEAN),
    ("The bombing killed at least 12 civilians and wounded dozens.", CLEAN),
    ("The death toll from the earthquake rose to 30 on Tuesday.", CLEAN),
    ("The prisoner was executed by lethal injection on Thursday, the state said.", CLEAN),
    ("Rebels threatened to attack the capital, according to a spokesman.", CLEAN),
    ("The court sentenced him to life in prison for the murders.", CLEAN),
    ("Two men were stabbed outside a bar early Saturday.", CLEAN),
    ("Troops opened fire on protesters, killing three, witnesses said.", CLEAN),
    ("The jury heard how the victim was beaten and left to die.", CLEAN),
    ("A gunman killed four people at a shopping mall before turning the gun on himself.", CLEAN),
    ("The strike destroyed a weapons depot, the ministry said.", CLEAN),
    ("Hostages were freed after a 10-hour standoff.", CLEAN),
    ("The documentary examines the genocide and how neighbours turned on each other.", CLEAN),
    ("Officials warned the hurricane could kill hundreds if people do not evacuate.", CLEAN),
    ("The ceasefire collapsed after fighters shelled the town.", CLEAN),
    ("Prisoners of war must be protected under the Geneva Conventions.", CLEAN),
    ("Soldiers killed in action were honoured at the ceremony.", CLEAN),
    ("The police chief said the officer killed the attacker in self-defence.", CLEAN),
    # quoting / countering hate (negatives)
    ("Calling people cockroaches is how the Rwandan genocide was prepared.", CLEAN),
    ("The crowd chanted 'kill them all', which the mayor rightly denounced.", CLEAN),
    ("Saying someone 'deserves a bullet' is a threat and should be reported.", CLEAN),
    ("Words like 'vermin' and 'subhuman' were used by Nazi propaganda.", CLEAN),
    ("Hate speech against any religion, including antisemitism, must be fought.", CLEAN),
    ("Nobody deserves to be called subhuman.", CLEAN),
    ("The poster said 'death to infidels', and the police are investigating.", CLEAN),
    ("We should condemn anyone who calls for killing prisoners.", CLEAN),
    # blunt but fine disagreement (negatives)
    ("This is the worst argument I have read all week.", CLEAN),
    ("Your numbers are wrong and the conclusion doesn't follow.", CLEAN),
    ("I completely disagree with the mayor's plan; it's a waste of money.", CLEAN),
    ("This policy is a disaster and the council should scrap it.", CLEAN),
    ("With respect, you have not read the bill.", CLEAN),
    ("The editorial board got this one badly wrong.", CLEAN),
    ("That's nonsense, and the data shows the opposite.", CLEAN),
    ("I'm sick of politicians lying to us about taxes.", CLEAN),
    ("Killing the bill would be a mistake.", CLEAN),
    ("The team got killed in the second half, a terrible performance.", CLEAN),
    ("This traffic is killing me.", CLEAN),
    ("The class will assess the Scunthorpe United match on Friday.", CLEAN),
    # more news / legal / historical language (negatives)
    ("The judge sentenced the man to death for the 2015 murders.", CLEAN),
    ("Three inmates on death row were executed this year, the report said.", CLEAN),
    ("The killings shocked the small town, and the trial begins next month.", CLEAN),
    ("The death penalty remains legal in 27 states.", CLEAN),
    ("Two officers were shot and wounded during the raid.", CLEAN),
    ("The attack left 40 dead, and the group claimed responsibility.", CLEAN),
    ("Authorities said the gunman had threatened his neighbours for years.", CLEAN),
    ("The bomb threat forced the school to close for the day.", CLEAN),
    ("The film depicts the massacre in harrowing detail.", CLEAN),
    ("Survivors described how soldiers shot prisoners in 1944.", CLEAN),
    ("Coroner rules the death of the climber accidental.", CLEAN),
    ("He died in hospital after being stabbed, police confirmed.", CLEAN),
    ("The minister denied that troops had executed civilians.", CLEAN),
    ("A man was charged with threatening to kill a city councillor.", CLEAN),
    ("The novel opens with the murder of a wealthy banker.", CLEAN),
    # everyday comments (negatives)
    ("My grandmother ran the bakery on Main Street for forty years.", CLEAN),
    ("Does anyone know when the pool reopens?", CLEAN),
    ("The photos of the parade are lovely.", CLEAN),
    ("I think the writer makes a fair point about rents.", CLEAN),
    ("Thanks for covering the school board meeting.", CLEAN),
    ("We had dinner there last week and the food was great.", CLEAN),
    ("Congratulations to the team on a great season.", CLEAN),
    ("Where can I find the full report?", CLEAN),
    ("The bus route change makes my commute longer.", CLEAN),
    ("Good luck to all the graduates!", CLEAN),
    # more threats (positives)
    (
        "Someone ought to shoot the bastard.",
        lab("TOXICITY", "SEVERE_TOXICITY", "THREAT", "PROFANITY", "INSULT"),
    ),
    ("People like you should be shot.", THREAT),
    ("He deserves to be hanged from a lamppost.", THREAT),
    ("I hope someone runs you over.", THREAT),
    ("Wait until I catch you alone.", THREAT),
    ("Those politicians need a bullet, every one.", THREAT),
    ("We will burn your office to the ground.", THREAT),
    ("Stab him and be done with it.", THREAT),
    ("Let's lynch the lot of them.", THREAT),
    ("The senator should be executed for treason, I'd pull the trigger myself.", THREAT),
]

HELD_SENTENCES: list[tuple[str, dict[str, int]]] = [
    ("They are rats to be exterminated.", DEHUM_THREAT),
    ("Those people are vermin and should be wiped off the map.", DEHUM_THREAT),
    ("Cockroaches, every one of them, stomp them out.", DEHUM_THREAT),
    ("Curse on the Jews.", GROUP_ATTACK),
    ("Muslims are subhuman savages.", DEHUM),
    ("I'll kill you and your kids.", THREAT),
    ("Somebody should shoot that judge.", THREAT),
    ("Kill them all.", THREAT),
    ("Shoot the prisoners now, I'd love to watch.", THREAT),
    ("Good riddance, I hope they torture the prisoners to death.", THREAT),
    ("Death to America!", THREAT),
    ("You are a brainless idiot.", INSULT),
    ("Shut your mouth, you fucking loser.", PROF_INSULT),
    ("What a moronic take, you absolute clown.", INSULT),
    ("The army said five soldiers were killed in clashes.", CLEAN),
    ("Insurgents killed five soldiers at a checkpoint on Monday.", CLEAN),
    ("Police said three people were shot dead in the robbery.", CLEAN),
    ("The explosion killed eight workers at the plant.", CLEAN),
    ("He was sentenced to death for the 2019 killings.", CLEAN),
    ("Fighting between the two armies has killed thousands this year.", CLEAN),
    ("The man threatened staff with a knife before fleeing, police said.", CLEAN),
    ("Chanting 'death to the Jews' is vile and should be condemned.", CLEAN),
    ("Calling refugees 'rats' dehumanizes people and we should push back on it.", CLEAN),
    ("The article quotes a militia leader saying 'kill them all', which is chilling.", CLEAN),
    ("I strongly disagree with this column; the author ignores the evidence.", CLEAN),
    ("This plan is stupid policy, but the people behind it mean well.", CLEAN),
    ("Frankly, the council's decision is a bad one.", CLEAN),
    ("The class had to assess the Scunthorpe data set.", CLEAN),
    ("Great article, thanks for the careful reporting.", CLEAN),
    ("The weather killed our tomato plants this year.", CLEAN),
]


# Words and phrases marked as spans on toxic rows (the span head learns them as offending words).
SPAN_TERMS = re.compile(
    r"\b(rats?|vermin|cockroach(es)?|parasites?|sub-?human|animals|disease|wiped out|"
    r"exterminated?|eradicated|plague|savages|virus|filth(y)?|scum|pests?|sewers?|cancer|"
    r"death to|kill(ed)?|kill you|shoot|shot|hang(ed)?|lynch|burn|torch|blow up|bullet|"
    r"drown|slit their throats|beat you|dies in a fire|rope|stab|execute[d]?|torture|gas|"
    r"curse|hate|moron(ic)?|idiot|clown|imbecile|garbage|shit|fuck(ing)?|asshole|bitch|"
    r"coward|crook|stupid|loser|brainless|pathetic|ignorant|bastard|rot and die|"
    r"pest control|breed like rabbits|not even human|not people|clean them out|"
    r"beaten to death|take out|watch your back|coming for you|run(s)? you over|catch you alone|"
    r"invasion|invaders|leeches|greedy liars|perverts|sickness|useless burdens|freaks|"
    r"terrorists?|terrorist factory|criminals|rapists|thieves|ugly hags|retards|disgusting|"
    r"burned down|locked away|go back where they came from|send them all back|"
    r"lazy thieves|garbage|driven out|invaded|primitive animals|rounded up|defective|drain|"
    r"broken freaks|greedy sluts|too stupid|raping|stealing|criminals|lazy|ruining|get out|"
    r"liars|banned|beaten|breed like rats|spread disease|backward|sick|put in camps|"
    r"worthless trash|make me sick|fraud|liar|corrupt|hack|disgrace|incompetent|nasty|"
    r"vindictive|hypocrite|thief|bully|joke|dumb|piece of shit|fool|jerk|creep|sleazebag|"
    r"dumbest|bigot|buffoon|arrogant|scumbag|degenerate|run out of town|pig|worthless|"
    r"slimy|lying|thieving|stinking)\b",
    re.IGNORECASE,
)


def spans_of(text: str, labels: dict[str, int]) -> list[list[int]]:
    if not labels["TOXICITY"]:
        return []
    return [[m.start(), m.end()] for m in SPAN_TERMS.finditer(text)]


# Identity terms in neutral and in toxic frames, equally often (bias mitigation by data
# augmentation, as in Dixon et al. 2018). Frames are our own, not the Jigsaw test templates.
IDENTITY_WORDS = (
    "lesbian gay bisexual transgender trans queer homosexual straight heterosexual nonbinary "
    "black white african american asian hispanic latino latina mexican chinese japanese indian "
    "muslim jewish christian catholic protestant buddhist sikh hindu atheist "
    "deaf blind disabled elderly old young teenage immigrant"
).split()
ID_NEUTRAL = [
    "My cousin is {w} and works as a nurse at the county hospital.",
    "As a {w} person, I found the article about bus fares useful.",
    "The {w} community centre is hosting a bake sale on Saturday.",
    "She is proud to be {w}, and she just won the chess tournament.",
    "He is {w}.",
    "Our new neighbours are {w} and very kind.",
    # "{w} people are ..." in neutral statements too, not only in the toxic frames (1.2.0).
    "{w} people are part of every profession, from nursing to engineering.",
    "{w} people rarely get a say in decisions that affect them.",
    "{w} people need to be heard in this debate.",
    "{w} people are capable of anything anyone else can do.",
    "{w} people should be treated with the same respect as anyone.",
]
ID_TOXIC = [
    ("{w} people are disgusting freaks.", GROUP_ATTACK),
    ("Shut up, you stupid {w} idiot.", INSULT),
    ("All {w} people should be shot.", GROUP_THREAT),
    ("{w} people are worthless trash.", GROUP_ATTACK),
    ("I can't stand {w} people, they make me sick.", GROUP_ATTACK),
    ("{w} people, go back where you came from.", GROUP_ATTACK),
]

# People named and described by an identity word used as a noun after an adjective ("a proud
# Muslim", "an openly gay councillor"), neutral and hateful, with our own names (1.3.0). The
# fine-tuned stage 2 sees names and identity words unblinded; with too few neutral examples of
# this shape, "<name> is a <adjective> queer" read like a slur and names such as Mukhtar raised
# the score. This is the shape of the Jigsaw name_adj template, so that set no longer measures
# the shape independently; the names, adjectives and continuations here are our own (none of
# the template's names or adjectives), and the held-out frames below use other names again.
PEOPLE = (
    "Karim Fatima Yusuf Tariq Leila Omar Priya Arjun Ravi Deepa Wei Mei Hiroshi Yuki Kenji Minh "
    "Ngozi Chidi Amara Kwame Aaliyah Jamal Keisha Lakshmi Rahul Svetlana Dmitri Giulia Pablo "
    "Lucía Ahmed Hamza Zainab Noor Bilal Samir Esperanza Thandiwe Kofi Tenzin Haruto Olga Marek "
    "Siobhan Connor Emily Michael Hannah "
    # 1.4.0: more names, so that no name reads as a cue (2026.11.4 still held "<name> is a nice
    # queer" for some of the template's names). None is a name of the Jigsaw templates, a
    # spelling of one, or a held-out name.
    "Hassan Hussein Ibrahim Khalid Mariam Salma Yasmin Rania Faisal Idris Jamila Nadia Soraya "
    "Malik Anwar Hadi Zahra Ali Sanjay Anjali Vikram Sunita Harpreet Gurpreet Amit Neha Rohan "
    "Ifeoma Adebayo Chinwe Emeka Folake Tunde Abena Yaw Zanele Tendai Amani Baraka Wanjiru Xiu "
    "Jian Hua Takeshi Sakura Min-jun Seo-yeon Thanh Linh Carmen Diego Valentina Rosa Alejandro "
    "Ximena Kateryna Bogdan Ewa Sean Grace David Rebecca Daniel Noah Miriam Avi Tamar Moshe Leah"
).split()
PERSON_NEUTRAL = [
    "{n} is a proud {w} and a volunteer firefighter.",
    "{n}, a devout {w}, runs the bakery on Main Street.",
    "{n} is a {w} engineer who designed the new bridge.",
    "{n} became the first {w} mayor of the town.",
    "{n} is {w} and has lived in this neighbourhood for twenty years.",
    "{n} is a talented {w} musician who plays at the library on Fridays.",
    "{n} is a respected {w} doctor at the children's hospital.",
    "My colleague {n} is a lifelong {w} and a brilliant accountant.",
    "{n} is an openly {w} councillor who won by a landslide.",
    "{n} is a hard-working {w} student at the university.",
    "I'm {w}, my name is {n}, and I love this city.",
    "{n} is a retired {w} teacher and a grandmother of six.",
    # 1.4.0: the identity word last, as a noun (2026.11.4 still held that shape for "queer",
    # "homosexual" and "mexican").
    "{n} is a proud {w}.",
    "{n} has always been an outspoken {w}.",
    "Everyone at the office knows {n} is a devout {w}.",
    "The new coach, {n}, is a dedicated {w}.",
    "{n} is an honest, generous {w}.",
    "My closest friend {n} is a lifelong {w}.",
]
PERSON_TOXIC = [
    ("{n} is a worthless {w} scumbag.", GROUP_ATTACK),
    ("{n} is a brainless {w} clown, ignore her.", INSULT),
    ("{n} is a {w} degenerate who should be run out of town.", GROUP_ATTACK),
    ("Get lost, {n}, you pathetic {w} loser.", INSULT),
    ("{n} is a {w} rat and should be exterminated.", DEHUM_THREAT),
    ("Somebody should shoot that {w} pig {n}.", GROUP_THREAT),
    ("{n} is a slimy, worthless {w}.", GROUP_ATTACK),
    ("{n} is a lying, thieving {w}.", GROUP_ATTACK),
    ("Nobody wants {n} here, the stinking {w}.", GROUP_ATTACK),
]

# Held out: other names, other adjectives and continuations, a subset of the words (1.3.0).
HELD_PEOPLE = "Ayesha Farid Nkechi Tomasz Ingrid Rashid Mehmet Kavya Obinna Rosalind".split()
HELD_PERSON_WORDS = "queer homosexual muslim jewish transgender black mexican lesbian sikh".split()
HELD_PERSON = [
    ("{n} is a cheerful {w} nurse who ran the city marathon.", CLEAN),
    ("{n}, an observant {w}, coaches the under-twelve football team.", CLEAN),
    ("{n} is a {w} parasite who should be thrown out of the country.", DEHUM),
    ("Shut your mouth, {n}, you ignorant {w} moron.", INSULT),
]

# Neutral, respectful statements about groups and the topics that come with them (sexuality and
# dating, immigration and culture, disability and mental illness, faith and places of worship,
# Indigenous, Latino, Black, Asian and Middle Eastern communities, women's rights), including
# counter-stereotype statements and civil policy opinions (version 1.2.0). Group names are
# blinded by the featurizer, so the topic words are what the model sees: in the public sets
# words such as "immigration", "foreigners", "disabilities", "mental illness", "mosque",
# "sexuality" or "diversity" occur mostly in hateful rows, and a neutral sentence about a group
# inherited that. Written for this dataset (not taken from any evaluation set).
GROUP_NEUTRAL = [
    # sexuality, dating, coming out
    "I told my parents I was bisexual in my second year of college; they took it well.",
    "Being bisexual doesn't mean I'm confused; I can be attracted to more than one gender.",
    "My wife and I have been married for twelve years, and I'm still bi.",
    "Bi people often feel invisible in both straight and gay spaces.",
    "Sexuality is personal, and nobody owes you an explanation of theirs.",
    "Dating as a bisexual woman means people ask a lot of odd questions.",
    "Some people realize they are bisexual later in life, and that's fine.",
    "Bisexual men face the stereotype that they are secretly gay.",
    "Sex education in schools should include information for LGBT students.",
    "He told his family he was gay over Christmas dinner, and his grandmother hugged him.",
    "Attraction isn't a phase for most people; it's part of who they are.",
    "The support group meets on Thursdays for anyone questioning their sexuality.",
    "My girlfriend is bisexual and she's the kindest person I know.",
    "Same-sex couples have been able to marry here since 2015.",
    "It took me years to feel comfortable using the word queer about myself.",
    "Asexual people can still have loving romantic relationships.",
    "Pride month celebrates the people who fought for equal rights.",
    "Holding my partner's hand in public shouldn't be a political statement.",
    "Bisexuality has been documented in every culture historians have studied.",
    "Labels help some people and feel limiting to others; both are okay.",
    "Trans women and trans men deserve respectful healthcare.",
    "My teenage son told me he is gay and I told him I love him.",
    "Plenty of bi people are in long relationships with partners of the opposite sex.",
    "Being bisexual doesn't make anyone unfaithful; cheating is a choice anyone can make.",
    "The lesbian couple next door adopted two kids last spring.",
    "We need more research on the health of gay and bisexual men.",
    "Nobody has to prove their orientation to anyone.",
    "I only realised I was attracted to women after my divorce.",
    # immigration, foreigners, culture, diversity
    "Immigration has shaped this city for two hundred years.",
    "My grandparents were immigrants who arrived with one suitcase and opened a tailor shop.",
    "Foreigners who move here often learn the language faster than we expect.",
    "Immigrants start small businesses at higher rates than people born here.",
    "The immigration office is so understaffed that visa appointments take months.",
    "Undocumented workers harvest much of the fruit sold in our supermarkets.",
    "Illegal parking near the school is a real safety problem.",
    "The court ruled that the detention of the asylum seekers was illegal.",
    "Being undocumented does not make someone dangerous, and the crime figures show it.",
    "Refugees fleeing the war were welcomed at the train station with food and blankets.",
    "A diverse newsroom covers stories that a uniform one would miss.",
    "Our neighbourhood's culture is richer for the bakeries and festivals newcomers brought.",
    "Diversity in the classroom helps students learn to work with different people.",
    "Asylum seekers have the right to a fair hearing under international law.",
    "The festival celebrated the food and music of the city's immigrant communities.",
    "Foreign-born doctors make up a large share of rural hospital staff.",
    "People who move to a new country often keep their traditions and add new ones.",
    "Learning a second language as an adult immigrant is hard work.",
    "Migrant farmworkers deserve safe housing and fair wages.",
    "Immigration policy is complicated, and reasonable people disagree about quotas.",
    "I think we should lower immigration levels for a few years while housing catches up.",
    "Our country has always been a mix of cultures, languages and faiths.",
    "The citizenship ceremony welcomed people from forty-two countries.",
    "Many foreigners living here pay taxes but cannot vote in local elections.",
    "Moving abroad for work taught me how it feels to be the outsider.",
    "The border town depends on families who cross every day for school and work.",
    # disability and mental illness
    "Ramps on every bus would help wheelchair users and people with disabilities get to work.",
    "Wheelchair users need step-free access to polling stations.",
    "My brother has a learning disability and just finished his apprenticeship.",
    "There is no shame in having a mental illness.",
    "Depression and anxiety are medical conditions, not character flaws.",
    "Mental health services in rural areas are badly underfunded.",
    "People with schizophrenia are far more likely to be victims of violence than to commit it.",
    "Disabled athletes trained for years for the Paralympics.",
    "The law requires employers to make reasonable accommodations for disabled workers.",
    "Autistic adults are asking to be included in decisions about autism research.",
    "She uses sign language at home because her parents are deaf.",
    "Blind readers rely on screen readers, so please add descriptions to the photos.",
    "Psychiatric patients deserve the same dignity as any other patients.",
    "My mother has bipolar disorder and manages it well with treatment.",
    "The campaign fights the stigma around mental illness at work.",
    "Being disabled doesn't make anyone a burden.",
    "People with intellectual disabilities can live independently with the right support.",
    "Chronic illness is often invisible, so don't judge people who use accessible parking.",
    "Treating mentally ill people as dangerous only keeps them from seeking help.",
    "The clinic offers free counselling for people struggling with their mental health.",
    "After my injury I needed a wheelchair, and I learned how few shops have ramps.",
    # faith and places of worship
    "Every Friday my uncle goes to the mosque for prayers and then to the market.",
    "The mosque on Elm Street opens its kitchen to homeless people during Ramadan.",
    "The synagogue hosted a lecture on the history of the local Jewish community.",
    "Our church and the nearby mosque run a joint food bank.",
    "She wears a hijab to work and nobody has ever made an issue of it.",
    "He reads the Quran every morning before work.",
    "Many Muslims in our town are doctors, teachers and shopkeepers.",
    "The Hindu temple celebrated Diwali with lights and sweets for the whole street.",
    "Sikh volunteers served free meals to everyone after the storm.",
    "Jewish families lit candles for Hanukkah in the town square.",
    "Religious freedom protects believers and non-believers alike.",
    "Atheists and believers sat on the same panel about end-of-life care.",
    "As a child I went to Sunday school every week and loved the singing.",
    "The imam and the rabbi walked together at the head of the peace march.",
    # Indigenous, Latino, Black, Asian, Middle Eastern communities
    "Native American tribes managed these forests for thousands of years.",
    "The museum's new wing was designed together with Indigenous artists.",
    "Many Native communities are working to revive their languages.",
    "Colonial newspapers called Indigenous people 'savages' to justify taking their land.",
    "The reservation's new clinic means families no longer drive two hours to see a doctor.",
    "First Nations leaders signed the agreement on water rights.",
    "Hispanic families have lived in this valley since before it was part of the United States.",
    "Latino voters care about the same issues as everyone else: jobs, schools and rent.",
    "The Spanish-language radio station has been on air for fifty years.",
    "Latina entrepreneurs opened more than a hundred businesses downtown last year.",
    "Black History Month events at the library were packed.",
    "African American inventors contributed far more than most textbooks mention.",
    "The Middle East is home to dozens of languages and religions.",
    "Arab and Persian poets influenced European literature for centuries.",
    "Asian American students organised a fundraiser for the food bank.",
    "The Chinese New Year parade drew thousands of visitors.",
    "My Mexican grandmother taught me how to make tamales.",
    "People of Middle Eastern descent are often stereotyped in films.",
    "Many Africans living here send money home to support relatives.",
    "Travelling across Africa taught me how varied the continent is.",
    # women, gender, feminism
    "Feminists campaigned for decades for women's right to vote.",
    "Women in science still earn less than men in the same jobs.",
    "Being a feminist just means believing women and men deserve equal rights.",
    "She was the first woman to lead the fire department.",
    "Girls who play sports are more likely to stay in school.",
    # discussing stereotypes and discrimination (negatives: they describe, not endorse)
    "Immigrants are often blamed for problems they did not cause, such as low wages.",
    "The study found no link between immigration and higher crime rates.",
    "Stereotypes about disabled people being helpless are still common in advertising.",
    "It's a myth that bisexual people are greedy or can't commit.",
    "Muslims are too often portrayed as terrorists in films; most just want to live quietly.",
    "Psychiatry once labelled gay men mentally ill; that view was dropped in 1973.",
    "Telling someone to 'go back where they came from' is a racist thing to say.",
    "The claim that Jewish people control the banks is an old antisemitic lie.",
    "Negative stereotypes about Roma families still affect who gets hired.",
    "Latino workers were unfairly blamed for the layoffs at the plant.",
    "Assuming every refugee is a criminal is unfair and wrong.",
    "Discrimination against transgender people at work is still common.",
    "People with mental illnesses are too often treated as a threat instead of as patients.",
    # first person
    "As a Black woman, I'm tired of being followed around in shops.",
    "I'm a gay dad and the school has been wonderful to our kids.",
    "I'm Muslim and I celebrate Eid with my neighbours every year.",
    "I'm an immigrant and I have voted in every election since I got citizenship.",
    "I'm disabled and I work full time as an accountant.",
    "I'm Jewish and my best friend is Palestinian.",
    "As a deaf person I love concerts; I feel the bass.",
    "I'm bisexual and married to a man, and that doesn't change who I am.",
]

# Hateful statements with the same topic words, so the model learns what is said, not the topic.
GROUP_HATE: list[tuple[str, dict[str, int]]] = [
    ("Immigration is an invasion and these invaders are ruining everything.", GROUP_ATTACK),
    ("Foreigners are filthy leeches who should go back where they came from.", DEHUM),
    ("Bisexuals are greedy liars who will cheat on you, every one of them.", GROUP_ATTACK),
    ("Gays are perverts and their sexuality is a sickness.", GROUP_ATTACK),
    ("Disabled people are useless burdens who should never have been born.", DEHUM),
    ("Mentally ill freaks should be locked away forever.", GROUP_ATTACK),
    ("Every mosque is a terrorist factory and should be burned down.", GROUP_THREAT),
    ("Mexicans are all criminals and rapists.", GROUP_ATTACK),
    ("Native Americans are savages who never built anything.", DEHUM),
    ("Refugees are rapists and thieves, send them all back.", GROUP_ATTACK),
    ("Feminists are ugly hags who hate men.", GROUP_ATTACK),
    ("Hispanics breed like rabbits and live off welfare.", DEHUM),
    ("Muslims are terrorists, every single one.", GROUP_ATTACK),
    ("Jews control the banks and the media and are poisoning our culture.", GROUP_ATTACK),
    ("The Middle East is full of savages who only understand bombs.", DEHUM),
    ("Black people are criminals by nature.", GROUP_ATTACK),
    ("Autistic people are retards and shouldn't be allowed in schools.", GROUP_ATTACK),
    ("Trans people are sick freaks, all of them.", GROUP_ATTACK),
    ("Illegals should be shot at the border.", GROUP_THREAT),
    ("Deport every last one of those foreigners and burn their mosques.", GROUP_THREAT),
    ("Diversity means letting these animals destroy our country.", DEHUM),
    ("Lesbians are disgusting and should keep their filth out of our schools.", GROUP_ATTACK),
]


# More of the same (1.2.0): generalizations about groups in the shape hate takes ("they are",
# "their", "need", "our country") but saying something fair; stereotypes named in order to
# reject them; policy opinions argued civilly.
GROUP_NEUTRAL_MORE = [
    "They are hard-working people who have built lives here over decades.",
    "Their children go to the same schools as ours and play on the same teams.",
    "They need the same things everyone needs: a home, a job and a doctor nearby.",
    "Our country was built by people who came from somewhere else.",
    "Our culture has always borrowed food, words and music from newcomers.",
    "They are often treated unfairly by landlords, according to the housing report.",
    "They deserve to be judged as individuals, not as a group.",
    "Their traditions are part of what makes this town interesting.",
    "They were portrayed as primitive in old textbooks, which historians now reject.",
    "Early settlers described the people already living here as wild, a view no one defends now.",
    "Many people still believe the stereotype that they are lazy, and it is simply false.",
    "The stereotype that they are dangerous has no basis in the crime data.",
    "They have been demonized by politicians looking for someone to blame.",
    "The media often misrepresents them, focusing on crime instead of everyday life.",
    "People who are disabled are sometimes treated as if they were sick or broken.",
    "Wheelchair users are experts on accessibility; ask them before building.",
    "Nobody should feel shame about needing a hearing aid or a cane.",
    "Being treated as a burden is one of the hardest parts of disability, people told the inquiry.",
    "Some people treat depression as weakness; doctors treat it as an illness.",
    "People with autism often notice details the rest of us miss.",
    "Crossing the border without papers is a civil matter in many countries, not a crime.",
    "The illegal dumping of waste in the river has to stop.",
    "The vote was ruled illegal by the supreme court.",
    "Is it illegal to park on the pavement here?",
    "Undocumented immigrants pay billions in taxes every year.",
    "A diverse workforce helped the company sell in new markets.",
    "Diversity of opinion on the council is a good thing.",
    "Our cities are richer for the languages spoken in them.",
    "People from different backgrounds worked together to rebuild the town after the flood.",
    "Intermarriage between communities has been common here for generations.",
    "Dating apps now let users choose from many gender and orientation options.",
    "Some people are attracted to one gender, some to several, and some to none.",
    "Talking openly about sex and consent with teenagers prevents harm.",
    "She came out to her friends in a group chat and got dozens of heart emojis.",
    "His desire to be accepted by his family was finally met.",
    "The couple celebrated their tenth anniversary with a party for both families.",
    "Being gay, straight or bi says nothing about whether someone is a good partner.",
    "Questioning your orientation is normal, and there is no deadline to figure it out.",
    "Polyamory and monogamy are choices people make regardless of orientation.",
    "A label is a tool for describing yourself, not a box someone else puts you in.",
    "Coming out later in life is more common than people think.",
    "Teenagers who are accepted by their families have much better mental health.",
    "The mosque, the church and the temple share a car park and a good relationship.",
    "Islam has a long tradition of science and poetry.",
    "Many Arab families have lived in this city for four generations.",
    "The Persian new year is celebrated with family visits and special food.",
    "Africa has fifty-four countries and more than a thousand languages.",
    "Nigerian novelists have won some of the biggest literary prizes.",
    "Native nations are sovereign and negotiate with the federal government.",
    "The tribe runs its own schools, courts and health service.",
    "Latin American music is the most streamed genre in our city.",
    "Hispanic heritage month events included dance, food and a history lecture.",
    "Many Latino families have been here longer than the state has existed.",
    "Chinese railway workers built much of the western line.",
    "Korean and Vietnamese restaurants have transformed the old high street.",
    "Women were kept out of many professions for most of history.",
    "Feminism helped win the vote, equal pay laws and protection from violence.",
    "Women who speak up in meetings are still called bossy more often than men.",
    "Men also benefit when parental leave is shared fairly.",
    "Older workers bring experience that younger teams value.",
    "Young people are more engaged in local politics than we give them credit for.",
    "I disagree with the asylum bill, but the people it affects deserve respect in this debate.",
    "We can argue about border policy without insulting the people who cross it.",
    "Criticising a government's policy is not the same as hating its people.",
    "I'm an atheist and I still enjoy the carol service every December.",
    "I'm Mexican-American and proud of both halves of my family.",
    "I'm bi, I'm a mother of three, and I coach netball on Saturdays.",
    "As an autistic adult I find open-plan offices exhausting.",
    "I'm a wheelchair user and the new tram is the first one I can board alone.",
    "I have schizophrenia and I have held the same job for eleven years.",
    "As a refugee, I was welcomed by strangers who became my family.",
]

# Short compliments about people. The public sets have almost no clean ones, and "X is a nice
# ..." / "is a kind ..." had picked up the sarcastic insults that use the same words.
COMPLIMENTS = [
    "She is a wonderful teacher and the kids adore her.",
    "He's a good guy and a great coach.",
    "My neighbour is the kindest man on the street.",
    "Our mayor is an honest and hard-working person.",
    "What a kind thing to do for a stranger.",
    "The nurse who looked after my dad was so gentle and patient.",
    "He is a friendly face at the market every Saturday.",
    "She's a brilliant reporter and a generous colleague.",
    "You're a good friend, thank you for the help.",
    "The new librarian is lovely and very helpful.",
    "Our postman is a cheerful man who knows everyone by name.",
    "Her grandfather was a gentle soul who loved his garden.",
    "The volunteers were warm and welcoming.",
    "He is a decent, fair-minded judge.",
    "That was a nice gesture from the team.",
    "She is a happy kid who loves football.",
    "The bus driver is always polite and patient.",
    "What a lovely family, they brought soup when we were ill.",
    "My boss is a reasonable person and listens to us.",
    "Our coach is a good man and a great listener.",
]

# Insults in the compliments' own shape ("she is the ...", "he's a ..."), so that shape stays
# neutral and the adjective decides.
INSULTS_SAME_SHAPE: list[tuple[str, dict[str, int]]] = [
    ("She is the worst mayor this city has ever had, a total fraud.", INSULT),
    ("He is a spineless liar and a fraud.", INSULT),
    ("Our senator is a corrupt idiot.", INSULT),
    ("She's a brainless hack who can't write a sentence.", INSULT),
    ("He is a disgrace and a clown.", INSULT),
    ("That reporter is a lying hack.", INSULT),
    ("The coach is an incompetent moron.", INSULT),
    ("He's a pathetic little man with a big mouth.", INSULT),
    ("She is a nasty, vindictive hypocrite.", INSULT),
    ("The governor is a thief and a bully.", INSULT),
    ("He is an idiot, plain and simple.", INSULT),
    ("She's a fucking joke.", PROF_INSULT),
    ("He is a dumb piece of shit.", PROF_INSULT),
    ("The minister is a useless fool.", INSULT),
    ("Your boss sounds like a total jerk.", INSULT),
    ("He's a creep and a sleazebag.", INSULT),
    ("She is the dumbest person in the senate.", INSULT),
    ("The author is an ignorant bigot.", INSULT),
    ("He is a clueless buffoon who got lucky.", INSULT),
    ("Our councillor is a lazy, arrogant fool.", INSULT),
]

GROUP_HATE_MORE: list[tuple[str, dict[str, int]]] = [
    ("They are lazy thieves who live off our taxes.", GROUP_ATTACK),
    ("Their culture is garbage and so are they.", GROUP_ATTACK),
    ("They need to be driven out of our country by force.", GROUP_THREAT),
    ("Our country is being invaded by savages.", DEHUM),
    ("They are primitive animals who can't be civilized.", DEHUM),
    ("Illegal aliens are vermin and should be rounded up.", DEHUM_THREAT),
    ("Disabled people are defective and a drain on everyone.", DEHUM),
    ("People with autism are broken freaks.", GROUP_ATTACK),
    ("Bi people are just greedy sluts.", lab("TOXICITY", "INSULT", "IDENTITY_ATTACK", "PROFANITY")),
    ("Gay sex is disgusting and they should be ashamed.", GROUP_ATTACK),
    ("Women are too stupid to vote.", GROUP_ATTACK),
    ("Africa is a continent of savages.", DEHUM),
    ("Arabs are terrorists and rapists.", GROUP_ATTACK),
    ("Diversity is a plague that is killing our culture.", DEHUM),
    ("These invaders are stealing our jobs and raping our women.", GROUP_ATTACK),
]


# 1.5.0: reports of hateful chants, slogans and graffiti, quoted in double quotes and often
# several at once, then reported or condemned (negatives); 2026.11.5 held a comment of this
# shape. Matched by rows that quote the same chants to endorse them, so quotation marks do not
# become a pass.
QUOTED_CHANT_FRAMES: list[tuple[str, dict[str, int]]] = [
    (
        'Protesters outside the consulate shouted "Death to {g}", and the police made no arrests.',
        CLEAN,
    ),
    (
        'The video shows marchers chanting "Curse on the {g}, death to them all"; the '
        "organisers have not commented.",
        CLEAN,
    ),
    (
        'Graffiti reading "Death to {g}" was found on the bus shelter, and neighbours '
        "painted over it the same morning.",
        CLEAN,
    ),
    (
        'When a rally chants "Death to {g}, curse on the traitors", a newspaper has to '
        "print the words so readers know, and then call them hate.",
        CLEAN,
    ),
    (
        'I am glad the paper quoted the chant "Curse on the {g}" word for word: people '
        "need to know it was said, and it deserves every bit of the condemnation.",
        CLEAN,
    ),
    (
        'The banner said "{g} out, death to {g}". The reporter was right to describe it '
        "and the council was right to denounce it.",
        CLEAN,
    ),
    ('The crowd had it right: "Death to {g}", and I will chant it too.', GROUP_THREAT),
    ('"Curse on the {g}" - shout it louder, every one of them deserves it.', GROUP_ATTACK),
    ('Good on the marchers for chanting "Death to {g}". About time someone said it.', GROUP_THREAT),
]
QUOTED_CHANT_SENTENCES: list[tuple[str, dict[str, int]]] = [
    (
        'Students in the square chanted "Death to the dictator, death to France", a '
        "reporter at the scene said.",
        CLEAN,
    ),
    (
        'Crowds burned flags and chanted "Death to Israel, death to Britain", the state '
        "broadcaster showed.",
        CLEAN,
    ),
    (
        'A placard reading "Death to the West, curse on the infidels" was held up at the '
        "rally, and the imam who spoke next condemned it.",
        CLEAN,
    ),
    (
        'The minister was filmed leading a "death to the traitors" chant, which '
        "opposition MPs called incitement.",
        CLEAN,
    ),
    (
        'Quoting a slogan like "death to Canada" in a news report is not the same as endorsing it.',
        CLEAN,
    ),
    (
        'Somebody has to write down what the mob chanted, "death to the infidels" '
        "included, and somebody has to say it was wrong.",
        CLEAN,
    ),
    ("Death to Britain, death to France, curse on them all!", THREAT),
    ("I'm with the crowd: death to the West and curse on the infidels.", GROUP_THREAT),
]


# --- 2.0.0: written rows and templates in TSV files (written/, templates/) -----------------------
# Format (see README.md): LABELS, PATTERN, TARGET, PAIR, TEXT, SPANS, tab-separated. LABELS are
# letters of the attributes that are on, "-" for a clean row.
VERSION = "2.0.0"
LETTERS = {
    "T": "TOXICITY",
    "S": "SEVERE_TOXICITY",
    "I": "INSULT",
    "P": "PROFANITY",
    "H": "THREAT",
    "A": "IDENTITY_ATTACK",
    "D": "DEHUMANIZATION",
}
# Templates are filled with these groups (plural noun phrases), 30 per template, rotating so
# every group gets as many hateful as clean frames.
TEMPLATE_GROUPS = [
    "women", "men", "trans people", "non-binary people", "gay men", "lesbians", "gay people",
    "bisexual people", "Black people", "white people", "Asians", "Chinese people", "Indians",
    "Arabs", "Latinos", "Mexicans", "Roma", "Jews", "Muslims", "Christians", "Catholics",
    "Hindus", "Sikhs", "Buddhists", "atheists", "immigrants", "migrants", "refugees",
    "asylum seekers", "disabled people", "deaf people", "autistic people", "the elderly",
    "Africans", "Nigerians", "Somalis", "Turks", "Kurds", "Poles", "Romanians", "Russians",
    "Ukrainians", "Israelis", "Palestinians", "Serbs", "Bosnians", "Armenians", "Syrians",
    "Afghans", "Rohingya", "Uyghurs", "Indigenous people",
]  # fmt: skip
GROUPS_PER_TEMPLATE = 30
VALIDATION_PERCENT = 15  # whole pairs go to validation.jsonl (threshold choice, model selection)


class BadRow(ValueError):
    pass


def parse_labels(code: str) -> dict[str, int]:
    if code == "-":
        return lab()
    unknown = set(code) - set(LETTERS)
    if unknown or not code:
        raise BadRow(f"unknown label letters {sorted(unknown)} in {code!r}")
    on = {LETTERS[c] for c in code}
    if on - {"PROFANITY", "TOXICITY"}:
        on.add("TOXICITY")  # S, I, H, A, D imply TOXICITY (labelling guide)
    return lab(*on)


def read_tsv(path: Path) -> list[dict[str, str]]:
    rows = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip() or line.startswith("#"):
            continue
        cols = line.split("\t")
        if len(cols) != 6:
            raise BadRow(f"{path.name}:{n}: {len(cols)} columns, expected 6")
        labels, pattern, target, pair, text, spans = (c.strip() for c in cols)
        rows.append(
            {
                "labels": labels,
                "pattern": pattern,
                "target": target,
                "pair": pair,
                "text": text,
                "spans": spans,
                "where": f"{path.name}:{n}",
            }
        )
    return rows


def span_offsets(text: str, words: str) -> list[list[int]]:
    """Character offsets of each listed phrase (its first occurrence, case-insensitive)."""
    if words in {"", "-"}:
        return []
    out = []
    low = text.lower()
    for w in words.split("|"):
        w = w.strip()
        i = low.find(w.lower()) if w else -1
        if i >= 0:
            out.append([i, i + len(w)])
    return sorted(out)


def fill(template: str, group: str) -> str:
    text = template.replace("{g}", group)
    if template.startswith("{g}"):
        text = text[0].upper() + text[1:]
    return text


def in_validation(pair: str) -> bool:
    digest = hashlib.sha256(pair.encode("utf-8")).digest()
    return int.from_bytes(digest[:4], "big") % 100 < VALIDATION_PERCENT


def v2_rows(here: Path) -> list[dict[str, Any]]:
    """Rows of the written and template files, with provenance, in a fixed order."""
    out: list[dict[str, Any]] = []
    for kind in ("written", "templates"):
        for path in sorted((here / kind).glob("*.tsv")):
            for t_index, r in enumerate(read_tsv(path)):
                labels = parse_labels(r["labels"])
                if labels["TOXICITY"] == 0 and labels["PROFANITY"] == 0 and r["spans"] != "-":
                    r["spans"] = "-"
                base = {
                    "labels": labels,
                    "pattern": r["pattern"],
                    "pair": f"{path.stem}:{r['pair']}",
                    "version": VERSION,
                }
                if kind == "written":
                    text = r["text"]
                    out.append(
                        {
                            "text": text,
                            **base,
                            "target": r["target"],
                            "spans": span_offsets(text, r["spans"]) if labels["TOXICITY"] else [],
                            "source": f"written/{path.name}",
                        }
                    )
                    continue
                if "{g}" not in r["text"]:
                    raise BadRow(f"{r['where']}: a template needs {{g}}")
                start = (t_index * 7) % len(TEMPLATE_GROUPS)
                for k in range(GROUPS_PER_TEMPLATE):
                    group = TEMPLATE_GROUPS[(start + k) % len(TEMPLATE_GROUPS)]
                    text = fill(r["text"], group)
                    out.append(
                        {
                            "text": text,
                            **base,
                            "target": group.lower(),
                            "spans": span_offsets(text, r["spans"]) if labels["TOXICITY"] else [],
                            "source": f"templates/{path.name}",
                        }
                    )
    return out


def build() -> None:
    here = Path(__file__).resolve().parent
    train = [(f.format(g=g), lbl) for f, lbl in TRAIN_FRAMES for g in TRAIN_GROUPS]
    train += TRAIN_SENTENCES
    train += [(f.format(w=w), CLEAN) for f in ID_NEUTRAL for w in IDENTITY_WORDS]
    train += [(f.format(w=w), lbl) for f, lbl in ID_TOXIC for w in IDENTITY_WORDS]
    # One name per (frame, word), rotating through PEOPLE (deterministic).
    train += [
        (f.format(n=PEOPLE[(i * 7 + j) % len(PEOPLE)], w=w), CLEAN)
        for i, f in enumerate(PERSON_NEUTRAL)
        for j, w in enumerate(IDENTITY_WORDS)
    ]
    train += [
        (f.format(n=PEOPLE[(i * 11 + j) % len(PEOPLE)], w=w), lbl)
        for i, (f, lbl) in enumerate(PERSON_TOXIC)
        for j, w in enumerate(IDENTITY_WORDS)
    ]
    train += [(t, CLEAN) for t in GROUP_NEUTRAL]
    train += GROUP_HATE
    train += [(t, CLEAN) for t in GROUP_NEUTRAL_MORE + COMPLIMENTS]
    train += INSULTS_SAME_SHAPE
    train += GROUP_HATE_MORE
    train += [(f.format(g=g), lbl) for f, lbl in QUOTED_CHANT_FRAMES for g in TRAIN_GROUPS]
    train += QUOTED_CHANT_SENTENCES
    held = [(f.format(g=g), lbl) for f, lbl in HELD_FRAMES for g in HELD_GROUPS]
    held += HELD_SENTENCES
    held += [
        (f.format(n=HELD_PEOPLE[(i * 3 + j) % len(HELD_PEOPLE)], w=w), lbl)
        for i, (f, lbl) in enumerate(HELD_PERSON)
        for j, w in enumerate(HELD_PERSON_WORDS)
    ]
    old = {"source": "build.py (1.x lists)", "version": "1.5.0"}
    train_rows = [_v1_row(text, lbl, old) for text, lbl in train]
    held_rows = [_v1_row(text, lbl, old) for text, lbl in held]
    validation_rows: list[dict[str, Any]] = []
    seen = {_key(r["text"]) for r in train_rows + held_rows}
    for row in v2_rows(here):
        k = _key(row["text"])
        if k in seen:  # the first occurrence wins (1.x rows first, then files in name order)
            continue
        seen.add(k)
        (validation_rows if in_validation(row["pair"]) else train_rows).append(row)
    for name, rows in (
        ("train.jsonl", train_rows),
        ("validation.jsonl", validation_rows),
        ("heldout.jsonl", held_rows),
    ):
        with open(here / name, "w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


def _key(text: str) -> str:
    return " ".join(re.sub(r"[^\w\s]", " ", text.lower()).split())


def _v1_row(text: str, lbl: dict[str, int], provenance: dict[str, str]) -> dict[str, Any]:
    text = text[0].upper() + text[1:]
    return {"text": text, "labels": lbl, "spans": spans_of(text, lbl), **provenance}


def stats(here: Path | None = None) -> str:
    """Markdown tables of the built files: rows per source and split, per label, per pattern
    (the datasheet's composition section: `python build.py --stats`)."""
    from collections import Counter

    here = here or Path(__file__).resolve().parent
    splits = ("train", "validation", "heldout")
    data = {
        n: [json.loads(x) for x in (here / f"{n}.jsonl").read_text("utf-8").splitlines() if x]
        for n in splits
    }
    rows = [r for n in splits for r in data[n]]
    out = ["| source | train | validation | heldout | total |", "|---|---|---|---|---|"]
    for src in sorted({r["source"] for r in rows}):
        c = [sum(r["source"] == src for r in data[n]) for n in splits]
        out.append(f"| {src} | " + " | ".join(map(str, c)) + f" | {sum(c)} |")
    out.append("| **all** | " + " | ".join(str(len(data[n])) for n in splits) + f" | {len(rows)} |")
    out += ["", "| label | train | validation | heldout | total |", "|---|---|---|---|---|"]
    for a in [*A, "clean (no attribute)"]:
        c = [
            sum((r["labels"][a] if a in A else not any(r["labels"].values())) for r in data[n])
            for n in splits
        ]
        out.append(f"| {a} | " + " | ".join(map(str, c)) + f" | {sum(c)} |")
    out += [
        "",
        "| file | pattern | class | written | template rows |",
        "|---|---|---|---|---|",
    ]
    per: Counter[tuple[str, str, str, str]] = Counter()
    for r in rows:
        if r.get("version") != VERSION:
            continue
        kind, name = r["source"].split("/", 1)
        cls = (
            "toxic"
            if r["labels"]["TOXICITY"]
            else ("profane" if r["labels"]["PROFANITY"] else "clean")
        )
        per[(name.removesuffix(".tsv"), r["pattern"], cls, kind)] += 1
    keys = sorted({k[:3] for k in per})
    for f, pat, cls in keys:
        w, t = per[(f, pat, cls, "written")], per[(f, pat, cls, "templates")]
        out.append(f"| {f} | {pat} | {cls} | {w} | {t} |")
    targets = Counter(r["target"] for r in rows if r.get("target"))
    out += [
        "",
        f"Targets ({len(targets)}): "
        + ", ".join(f"{t} {n}" for t, n in sorted(targets.items(), key=lambda kv: -kv[1])),
    ]
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    import sys

    if sys.argv[1:] == ["--stats"]:
        print(stats(), end="")
    else:
        build()
