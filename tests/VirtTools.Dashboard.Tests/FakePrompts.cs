namespace VirtTools.Dashboard.Tests;

/// <summary>Answers the dashboard's questions from a queue and records what was asked.</summary>
internal sealed class FakePrompts : IDashboardPrompts
{
    private readonly Queue<int?> answers = new();

    public List<(string Title, string Message, IReadOnlyList<string> Options)> Asked { get; } = [];

    public FakePrompts Answer(params int?[] choices)
    {
        foreach (var c in choices)
        {
            answers.Enqueue(c);
        }
        return this;
    }

    public int? Choose(string title, string message, IReadOnlyList<string> options)
    {
        Asked.Add((title, message, options));
        return answers.Count > 0 ? answers.Dequeue() : null;
    }
}
