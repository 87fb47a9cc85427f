"""The phrase grammar of the offline policies: varied, deterministic wording.

The scripted user and the oracle agent say the same things in many ways: each choice is drawn
from a list of phrasings with a seed made of the task id and what is being said (the goal, the
call), so an episode is reproducible (the stub server plays the same words) while a run's
conversations do not all open, confirm or close alike.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from typing import Any

from agentscaler.naming import spoken

# --- the user -------------------------------------------------------------------------------------
GREETINGS = (
    "Hi",
    "Hello",
    "Hi there",
    "Hey",
    "Good morning",
    "Good afternoon",
    "Hello there",
    "Hey there",
    "",
    "",
)
REQUEST_FRAMES = (
    "I'd like to {r}.",
    "I need to {r}.",
    "Could you help me {r}?",
    "Can you {r} for me?",
    "I want to {r}.",
    "I was hoping you could help me {r}.",
    "Please {r}.",
    "I'm trying to {r}.",
    "Would you be able to {r}?",
    "I need some help. I want to {r}.",
    "I'm calling because I'd like to {r}.",
    "Is it possible to {r}?",
)
NEXT_FRAMES = (
    "Also, could you {r}?",
    "One more thing: I'd like to {r}.",
    "Thanks! I also need to {r}.",
    "Great. Could you also {r}?",
    "While I have you, I'd like to {r}.",
    "Yes, actually. I also want to {r}.",
    "There is something else: please {r}.",
    "Perfect. Next, I'd like to {r}.",
)
CHANGE_FRAMES = (
    "Actually, wait. I've changed my mind: instead of that, I'd like to {r}.",
    "Hmm, on second thought, please don't. Could you {r} instead?",
    "No, sorry, I changed my mind. I'd rather {r}.",
    "Wait, let's not do that. Instead, please {r}.",
    "Actually, no. What I really want is to {r}.",
)
IDENTITY_FRAMES = (
    "Sure, my {facts}.",
    "Of course. My {facts}.",
    "Yes: my {facts}.",
    "Okay, my {facts}.",
    "My {facts}.",
    "No problem. My {facts}.",
)
YES = (
    "Yes, please go ahead.",
    "Yes, that's right.",
    "Sounds good, go ahead.",
    "Yes please.",
    "Correct, please do it.",
    "That's correct, go ahead.",
    "Yes, go ahead.",
    "Yes, please do.",
    "Perfect, please proceed.",
)
THANKS = (
    "That's all, thanks!",
    "No, that's everything. Thank you!",
    "Great, thanks for your help.",
    "Perfect, that's all I needed.",
    "Thank you, that's all for today.",
    "Nothing else, thanks a lot.",
    "Awesome, thank you!",
    "That's it. Thanks for the help!",
)
ACCEPT_REFUSAL = (
    "I see. Thanks for explaining.",
    "Okay, I understand. Thanks anyway.",
    "Oh, that's a pity. Thanks for checking.",
    "Alright, understood. Thank you.",
    "Got it, thanks for letting me know.",
)
PUSH_BACK = (
    "Are you sure? Is there really no way to do it?",
    "Really? Can't you make an exception just this once?",
    "Hmm, is there nothing you can do about it?",
    "That's frustrating. Could you check again?",
    "Are you certain? I really need this done.",
)
UNKNOWN = (
    "Sorry, I don't have that information.",
    "I'm afraid I don't know that.",
    "I don't have that, sorry.",
)

# --- the agent ------------------------------------------------------------------------------------
IDENTIFY_FRAMES = (
    "I can help with that. First, could you give me your {facts}?",
    "Sure! To find your account, could you tell me your {facts}?",
    "Happy to help. Could you please provide your {facts} so I can look you up?",
    "Of course. What is your {facts}?",
    "Certainly. Can you share your {facts} first?",
    "I'd be glad to help. May I have your {facts}?",
)
DETAIL_FRAMES = (
    "Could you tell me the {facts} you want?",
    "Which {facts} would you like?",
    "What {facts} do you have in mind?",
    "I just need one more detail: what is the {facts}?",
    "Can you give me the {facts}, please?",
)
PROPOSE_FRAMES = (
    "I'm going to {a}. Shall I go ahead?",
    "To confirm, I will {a}. Do you want me to proceed?",
    "Here is what I'll do: {a}. Is that correct?",
    "I can {a} now. Would you like me to proceed?",
    "Just to be sure: I'll {a}. Should I go ahead?",
    "Before I make the change: I will {a}. Do you confirm?",
)
REPORT_OPENERS = (
    "Done!",
    "All set.",
    "That's taken care of.",
    "It's done.",
    "Okay, that's done.",
    "Great news:",
    "Here you go.",
    "There we go.",
    "Everything went through.",
    "Finished.",
    "Good, that worked.",
    "Success!",
    "Your request is complete.",
    "That went through fine.",
    "Perfect, it worked.",
    "No problem, it's done.",
    "All done on my side.",
    "The change is in place.",
    "",
    "",
    "",
)
INFO_OPENERS = (
    "Here is what I found.",
    "I've looked it up.",
    "Here are the details.",
    "I checked for you.",
    "Okay, I have it.",
    "Thanks for waiting.",
    "Found it.",
    "Here's the information.",
    "I pulled that up for you.",
    "Let me share what I see.",
    "According to our records,",
    "Good news, I found it.",
    "Alright, here it is.",
    "I have the answer.",
    "Sure thing.",
    "This is what the system shows.",
    "",
    "",
    "",
    "",
)
FACT_FRAMES = (
    "The {name} is {value}.",
    "{Name}: {value}.",
    "It shows {a_name} of {value}.",
    "The {name} is now {value}.",
    "You'll see {value} as the {name}.",
    "For your records, the {name} is {value}.",
)
INFO_FACT_FRAMES = (
    "The {name} is {value}.",
    "{Name}: {value}.",
    "It shows {a_name} of {value}.",
    "The {name} on record is {value}.",
    "I can see {value} as the {name}.",
    "Its {name} is {value}.",
)
ANYTHING_ELSE = (
    "Is there anything else I can help you with?",
    "Anything else I can do for you?",
    "Can I help with anything else?",
    "Is there anything else you need?",
    "Do you need help with anything else?",
    "Is there something else I can do for you?",
)
REFUSE_FRAMES = (
    "I'm sorry, but I can't {a}.",
    "Unfortunately, I'm not able to {a}.",
    "I'm afraid I can't {a}.",
    "I checked, and I can't {a}.",
    "Sorry, {a} is not possible.",
)
HOLD_FRAMES = (
    "I understand, and I'm sorry. I can't make an exception here: {rule}",
    "I double-checked, and it really isn't possible: {rule}",
    "I know that's not what you hoped for, but the policy is clear: {rule}",
    "I'm sorry for the trouble, but I'm not allowed to override this: {rule}",
    "Unfortunately there is no way around it: {rule}",
)
GOODBYES = (
    "You're welcome! Have a great day.",
    "Glad I could help. Goodbye!",
    "My pleasure. Take care!",
    "Thanks for reaching out. Have a nice day!",
)


def pick(options: Sequence[str], *seed: Any) -> str:
    """A deterministic choice among ``options`` for the seed parts."""
    digest = hashlib.blake2b(repr(seed).encode("utf-8"), digest_size=8).digest()
    return options[int.from_bytes(digest, "big") % len(options)]


def sentence(text: str) -> str:
    """``text`` with an upper-case first letter."""
    return text[:1].upper() + text[1:] if text else text


def with_greeting(greeting: str, text: str) -> str:
    """``text`` after a greeting (``Hi! I'd like ...``, ``Good morning, could you ...``)."""
    if not greeting:
        return sentence(text)
    if greeting in ("Hi", "Hey", "Hello"):
        return f"{greeting}! {sentence(text)}"
    first = text.split(" ", 1)[0]
    if not (first == "I" or first.startswith("I'")):
        text = text[:1].lower() + text[1:]
    return f"{greeting}, {text}"


def fill(frame: str, **values: str) -> str:
    """``frame`` with its ``{r}``/``{a}``/``{facts}``... filled and its first letter capital."""
    return sentence(frame.format(**values))


_IRREGULAR = {
    "set": "set",
    "send": "sent",
    "pay": "paid",
    "make": "made",
    "put": "put",
    "buy": "bought",
    "sell": "sold",
    "write": "written",
    "get": "got",
    "find": "found",
    "hold": "held",
    "split": "split",
    "reset": "reset",
    "shut": "shut",
    "leave": "left",
    "cancel": "cancelled",
    "label": "labelled",
    "refer": "referred",
    "transfer": "transferred",
    "submit": "submitted",
    "commit": "committed",
}


def past(verb: str) -> str:
    """The past participle of an English verb (regular rules and a few irregulars)."""
    if verb in _IRREGULAR:
        return _IRREGULAR[verb]
    if verb.endswith("e"):
        return verb + "d"
    if verb.endswith("y") and len(verb) > 2 and verb[-2] not in "aeiou":
        return verb[:-1] + "ied"
    if (
        len(verb) >= 3
        and verb[-1] not in "aeiouwxy"
        and verb[-2] in "aeiou"
        and verb[-3] not in "aeiou"
        and verb in ("stop", "ship", "plan", "drop", "tag", "pin", "log", "flag", "cap")
    ):
        return verb + verb[-1] + "ed"
    return verb + "ed"


def words(name: str) -> str:
    return spoken(name)
