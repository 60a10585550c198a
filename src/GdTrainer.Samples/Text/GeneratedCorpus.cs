using System.Text;

namespace GdTrainer.Samples.Text;

/// <summary>
/// Seeded synthetic text corpora for the <c>text</c> sample, shaped like real ones: a vocabulary of pronounceable words drawn
/// with Zipf frequencies (a few words are everywhere, most are rare), documents of 20 to 120 words. Reviews carry a sentiment:
/// every fourth word of the frequency ranks 30 to 6,000 has a polarity, and the label is drawn from the logistic of the
/// review's summed polarity (over the square root of its length, times 20), so no model can be perfect. Topics mix background words with one of six topics' own words.
/// </summary>
public static class GeneratedCorpus
{
    private static readonly string[] s_syllables =
    [
        "ba", "ko", "ri", "tu", "me", "sa", "lo", "ne", "vi", "da", "pu", "ge", "ha", "zo", "fi", "ju", "ke", "ma", "no", "pe",
        "qua", "ro", "si", "te", "wu", "xa", "yo", "ze", "chi", "sho",
    ];

    /// <summary>The seed of the corpora's language (which words carry which polarity, which belong to which topic), the same for every set drawn from it.</summary>
    private const int LanguageSeed = 2026;

    /// <summary>A review: its text and whether it is positive.</summary>
    public sealed class Review
    {
        /// <summary>The review.</summary>
        public string Text { get; set; } = "";

        /// <summary>Whether it is positive.</summary>
        public bool Label { get; set; }
    }

    /// <summary>A document: its text and its topic's name.</summary>
    public sealed class Document
    {
        /// <summary>The document.</summary>
        public string Text { get; set; } = "";

        /// <summary>The topic's name ("topic0" ... "topic5").</summary>
        public string Topic { get; set; } = "";
    }

    /// <summary><paramref name="count"/> reviews over a vocabulary of <paramref name="vocabulary"/> words, drawn by <paramref name="seed"/> (the words' polarities are fixed).</summary>
    public static List<Review> Reviews(int count, int vocabulary, int seed)
    {
        var language = new Random(LanguageSeed);
        var random = new Random(seed);
        string[] words = Vocabulary(vocabulary);
        double[] cumulative = ZipfCumulative(vocabulary);
        // Every fourth word of ranks 30 to 6,000 carries a polarity: frequent enough to be learned from a few thousand reviews.
        var polarity = new double[vocabulary];
        for (int word = 30; word < Math.Min(6000, vocabulary); word += 4)
        {
            polarity[word] = Gaussian(language);
        }

        var reviews = new List<Review>(count);
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            text.Clear();
            int length = 20 + random.Next(101);
            double score = 0;
            for (int t = 0; t < length; t++)
            {
                int word = Draw(cumulative, random);
                score += polarity[word];
                text.Append(words[word]).Append(' ');
            }

            double probability = 1 / (1 + Math.Exp(-score / Math.Sqrt(length) * 20));
            reviews.Add(new Review { Text = text.ToString(0, text.Length - 1), Label = random.NextDouble() < probability });
        }

        return reviews;
    }

    /// <summary><paramref name="count"/> documents of six topics over a vocabulary of <paramref name="vocabulary"/> words, drawn by <paramref name="seed"/> (the topics' words are fixed).</summary>
    public static List<Document> Topics(int count, int vocabulary, int seed)
    {
        const int TopicCount = 6;
        var language = new Random(LanguageSeed);
        var random = new Random(seed);
        string[] words = Vocabulary(vocabulary);
        double[] background = ZipfCumulative(vocabulary);
        int topicWords = vocabulary / 20;
        var topics = new int[TopicCount][];
        for (int c = 0; c < TopicCount; c++)
        {
            topics[c] = new int[topicWords];
            for (int k = 0; k < topicWords; k++)
            {
                topics[c][k] = language.Next(vocabulary);
            }
        }

        double[] topicCumulative = ZipfCumulative(topicWords);
        var documents = new List<Document>(count);
        var text = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            text.Clear();
            int topic = random.Next(TopicCount);
            int length = 20 + random.Next(101);
            for (int t = 0; t < length; t++)
            {
                int word = random.NextDouble() < 0.15 ? topics[topic][Draw(topicCumulative, random)] : Draw(background, random);
                text.Append(words[word]).Append(' ');
            }

            documents.Add(new Document { Text = text.ToString(0, text.Length - 1), Topic = "topic" + topic });
        }

        return documents;
    }

    /// <summary>Word i is its rank written in base 30 with one syllable per digit, so that words share character n-grams.</summary>
    private static string[] Vocabulary(int size)
    {
        var words = new string[size];
        var builder = new StringBuilder();
        for (int i = 0; i < size; i++)
        {
            builder.Clear();
            int value = i + 30;
            while (value > 0)
            {
                builder.Append(s_syllables[value % s_syllables.Length]);
                value /= s_syllables.Length;
            }

            words[i] = builder.ToString();
        }

        return words;
    }

    /// <summary>The cumulative Zipf probabilities <c>p(i) ∝ 1 / (i + 5)</c>.</summary>
    private static double[] ZipfCumulative(int size)
    {
        var cumulative = new double[size];
        double total = 0;
        for (int i = 0; i < size; i++)
        {
            total += 1.0 / (i + 5);
            cumulative[i] = total;
        }

        for (int i = 0; i < size; i++)
        {
            cumulative[i] /= total;
        }

        return cumulative;
    }

    private static int Draw(double[] cumulative, Random random)
    {
        int index = Array.BinarySearch(cumulative, random.NextDouble());
        return Math.Min(index < 0 ? ~index : index, cumulative.Length - 1);
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}
