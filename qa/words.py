"""Word lists the lexical side reads: English stop words, and words common in any English text."""

from __future__ import annotations

# English stop words: never terms (a contracted one, "doesn't", is found by its apostrophe: ``qa.lexical``)
STOPWORDS = frozenset(
    ["a", "about", "above", "after", "again", "against", "all", "am", "an", "and", "any", "are", "as", "at", "be",
     "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did", "do",
     "does", "doing", "down", "during", "each", "few", "for", "from", "further", "had", "has", "have", "having",
     "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "if", "in", "into", "is", "it",
     "its", "itself", "just", "me", "more", "most", "my", "myself", "no", "nor", "not", "of", "off", "on", "once",
     "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so",
     "some", "such", "than", "that", "the", "their", "theirs", "them", "themselves", "then", "there", "these",
     "they", "this", "those", "through", "to", "too", "under", "until", "up", "very", "was", "we", "were", "what",
     "when", "where", "which", "while", "who", "whom", "why", "will", "with", "would", "you", "your", "yours",
     "yourself", "yourselves"]
)  # fmt: skip

# Words as frequent in English text as stop words are, though not stop words: English words of Zipf frequency 5.8
# or more in wordfreq 3.1.1 (``zipf_frequency(word, "en")``; once in 1,600 words or more often), stop words and
# single letters left out. In a collection of a few documents such a word can be rare, and BM25 then gives it an
# idf that says nothing of the topic: "Should table captions in asmeconf go above or below the table?" preferred
# "Figure captions go below figures" by its "go" (idf 5.4, the question's rarest term). A question's term that one
# of these gives weighs ``qa.lexical.COMMON_WEIGHT`` of its idf (docs/EVALUATION.md, "Common words").
COMMON_WORDS = frozenset(
    ["also", "back", "best", "day", "even", "first", "get", "go", "going", "good", "got", "great", "home", "know",
     "last", "life", "like", "long", "look", "love", "made", "make", "man", "many", "may", "much", "need",
     "never", "new", "now", "one", "people", "really", "right", "said", "say", "see", "something", "still",
     "take", "think", "time", "two", "us", "use", "used", "want", "way", "well", "work", "world", "year", "years"]
)  # fmt: skip
