namespace VirtTools.Monitoring;

/// <summary>The last N values of one series, oldest first when copied out.</summary>
internal sealed class HistoryBuffer(int capacity)
{
    private readonly double[] values = new double[capacity];
    private int start, count;

    public void Add(double value)
    {
        if (count < values.Length)
        {
            values[(start + count++) % values.Length] = value;
        }
        else
        {
            values[start] = value;
            start = (start + 1) % values.Length;
        }
    }

    public double[] ToArray()
    {
        var copy = new double[count];
        for (var i = 0; i < count; i++)
        {
            copy[i] = values[(start + i) % values.Length];
        }
        return copy;
    }
}
