"""Builds train.jsonl and heldout.jsonl of the civility-own dataset (see README.md).

Deterministic: no randomness, so re-running reproduces the committed files byte for byte.
Hand-written sentences plus a few frames crossed with group names; the same groups appear in
neutral frames as often as in hateful ones so the model cannot learn "group name = toxic".
"""

from __future__ import annotations

import json
import re
from pathlib import Path

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
    r"beaten to death|take out|watch your back|coming for you|run(s)? you over|catch you alone)\b",
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
]
ID_TOXIC = [
    ("{w} people are disgusting freaks.", GROUP_ATTACK),
    ("Shut up, you stupid {w} idiot.", INSULT),
    ("All {w} people should be shot.", GROUP_THREAT),
]


def build() -> None:
    here = Path(__file__).resolve().parent
    train = [(f.format(g=g), lbl) for f, lbl in TRAIN_FRAMES for g in TRAIN_GROUPS]
    train += TRAIN_SENTENCES
    train += [(f.format(w=w), CLEAN) for f in ID_NEUTRAL for w in IDENTITY_WORDS]
    train += [(f.format(w=w), lbl) for f, lbl in ID_TOXIC for w in IDENTITY_WORDS]
    held = [(f.format(g=g), lbl) for f, lbl in HELD_FRAMES for g in HELD_GROUPS]
    held += HELD_SENTENCES
    for name, rows in (("train.jsonl", train), ("heldout.jsonl", held)):
        with open(here / name, "w", encoding="utf-8") as fh:
            for text, lbl in rows:
                text = text[0].upper() + text[1:]
                row = {"text": text, "labels": lbl, "spans": spans_of(text, lbl)}
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")


if __name__ == "__main__":
    build()
