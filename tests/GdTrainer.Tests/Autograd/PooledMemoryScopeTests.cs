namespace GdTrainer.Tests.Autograd;

using GdTrainer.Autograd;
using GdTrainer.Losses;
using GdTrainer.Models;
using GdTrainer.Optimizers;

/// <summary>
/// <see cref="Autograd.PooledMemory"/>: operation outputs inside the scope come from a per-thread pool
/// and go back when it is disposed; outside nothing changes; scopes nest; exceptions still give the
/// memory back; an escaped tensor throws instead of reading reused memory; training inside the scope
/// gives bit-for-bit the parameters of training without it, and a warm step allocates almost nothing.
/// </summary>
public sealed class PooledMemoryScopeTests
{
    [Fact]
    public void OutputsInsideAScopeAreReusedByTheNextScope()
    {
        var x = Tensor.From<float>([1f, 2f, 3f]);
        float[] first;
        using (Autograd.PooledMemory())
        {
            Tensor<float> y = x * 2f;
            first = y.Storage;
            Assert.Equal([2f, 4f, 6f], y.ToArray());
        }

        using (Autograd.PooledMemory())
        {
            Tensor<float> z = x + 10f;
            Assert.Same(first, z.Storage);
            Assert.Equal([11f, 12f, 13f], z.ToArray());
        }
    }

    [Fact]
    public void OutsideAScopeEveryOutputHasItsOwnMemoryAndSurvivesLaterScopes()
    {
        var x = Tensor.From<float>([1f, 2f, 3f]);
        Tensor<float> kept = x * 2f;
        Tensor<float> other = x * 2f;
        Assert.NotSame(kept.Storage, other.Storage);

        using (Autograd.PooledMemory())
        {
            _ = (x * 5f).Sum();
        }

        Assert.Equal([2f, 4f, 6f], kept.ToArray());
        Assert.Equal([4f, 8f, 12f], (kept * 2f).ToArray());
    }

    [Fact]
    public void AnEscapedTensorThrowsAClearErrorInsteadOfReadingReusedMemory()
    {
        var x = Tensor.From<float>([1f, 2f], requiresGrad: true);
        Tensor<float> escaped;
        Tensor<float> loss;
        using (Autograd.PooledMemory())
        {
            escaped = x * 3f;
            loss = escaped.Sum();
        }

        var error = Assert.Throws<InvalidOperationException>(() => escaped.Data.Length);
        Assert.Contains("PooledMemory", error.Message, StringComparison.Ordinal);
        Assert.Throws<InvalidOperationException>(() => loss.Item());
        Assert.Throws<InvalidOperationException>(() => escaped.ToArray());
        Assert.Throws<InvalidOperationException>(() => escaped * 2f);
        Assert.Throws<InvalidOperationException>(() => escaped.Detach());
        Assert.Throws<InvalidOperationException>(() => loss.Backward());
        Assert.Contains("memory returned to the pool", escaped.ToString(), StringComparison.Ordinal);
        Assert.Equal([2], escaped.Shape.ToArray()); // Metadata stays readable.
    }

    [Fact]
    public void ViewsOfAPooledTensorExpireWithIt()
    {
        var x = Tensor.From<float>([1f, 2f, 3f, 4f]);
        Tensor<float> view;
        using (Autograd.PooledMemory())
        {
            view = (x * 2f).Reshape([2, 2]);
            Assert.Equal([2f, 4f, 6f, 8f], view.ToArray());
        }

        Assert.Throws<InvalidOperationException>(() => view.Data.Length);
    }

    [Fact]
    public void FactoryTensorsAndLeafGradientsCreatedInsideAScopeOwnTheirMemory()
    {
        var w = Tensor.From<float>([0.5f, -1f], requiresGrad: true);
        Tensor<float> created;
        using (Autograd.PooledMemory())
        {
            created = Tensor.From<float>([7f, 8f]);
            (w * created).Sum().Backward(); // Creates w.Grad inside the scope.
        }

        Assert.Equal([7f, 8f], created.ToArray());
        Assert.Equal([7f, 8f], w.Grad!.ToArray());
    }

    [Fact]
    public void AnInnerScopeGivesBackOnlyWhatWasComputedInsideIt()
    {
        var x = Tensor.From<float>([1f, 2f]);
        using (Autograd.PooledMemory())
        {
            Tensor<float> outer = x * 2f;
            Tensor<float> inner;
            float[] innerStorage;
            using (Autograd.PooledMemory())
            {
                inner = x * 3f;
                innerStorage = inner.Storage;
            }

            Assert.Equal([2f, 4f], outer.ToArray());
            Assert.Throws<InvalidOperationException>(() => inner.Data.Length);

            // The inner scope's array is free again: the outer scope gets it for its next output.
            Tensor<float> next = x * 4f;
            Assert.Same(innerStorage, next.Storage);
            Assert.Equal([4f, 8f], next.ToArray());
            Assert.Equal([2f, 4f], outer.ToArray());
        }
    }

    [Fact]
    public void DisposingAnOuterScopeClosesTheInnerOneAndDisposingTwiceIsHarmless()
    {
        var x = Tensor.From<float>([1f, 2f]);
        PooledMemoryScope outer = Autograd.PooledMemory();
        PooledMemoryScope inner = Autograd.PooledMemory();
        Tensor<float> y = x * 3f;
        outer.Dispose();
        Assert.Throws<InvalidOperationException>(() => y.Data.Length);
        inner.Dispose();
        outer.Dispose();

        // No scope is open any more: outputs own their memory again.
        Tensor<float> z = x * 3f;
        using (Autograd.PooledMemory())
        {
        }

        Assert.Equal([3f, 6f], z.ToArray());
        default(PooledMemoryScope).Dispose();
    }

    [Fact]
    public void TheScopeIsPerThreadAndCoversDoubleTensors()
    {
        var x = Tensor.From<double>([1.0, 2.0]);
        Tensor<double> onOtherThread = null!;
        Tensor<double> here;
        using (Autograd.PooledMemory())
        {
            here = x * 2.0;
            var thread = new Thread(() => onOtherThread = x * 3.0);
            thread.Start();
            thread.Join();
        }

        Assert.Throws<InvalidOperationException>(() => here.Data.Length);
        Assert.Equal([3.0, 6.0], onOtherThread.ToArray()); // The other thread had no scope open: its output is its own.
    }

    [Fact]
    public void AnExceptionInsideTheScopeStillGivesTheMemoryBack()
    {
        var x = Tensor.From<float>([1f, 2f, 3f]);
        float[]? storage = null;
        Tensor<float>? y = null;
        Assert.Throws<ArgumentException>(() =>
        {
            using (Autograd.PooledMemory())
            {
                y = x * 2f;
                storage = y.Storage;
                _ = y + Tensor.From<float>([1f, 2f]); // Shapes [3] and [2] do not broadcast.
            }
        });

        Assert.Throws<InvalidOperationException>(() => y!.Data.Length);
        using (Autograd.PooledMemory())
        {
            Assert.Same(storage, (x - 1f).Storage);
        }
    }

    [Theory]
    [InlineData(0f)]
    [InlineData(0.25f)]
    public void TrainingInsideTheScopeMatchesTrainingWithoutItBitForBit(float dropout)
    {
        (Mlp plainModel, AdamOptimizer plainAdam) = CreateModel(hidden: 16, dropout: dropout);
        (Mlp pooledModel, AdamOptimizer pooledAdam) = CreateModel(hidden: 16, dropout: dropout);
        (Tensor<float> x, Tensor<float> y) = CreateBatch(rows: 32, seed: 3);
        var loss = new MeanSquaredErrorLoss();

        for (int step = 0; step < 5; step++)
        {
            float plainLoss = TrainStep(plainModel, plainAdam, loss, x, y);
            float pooledLoss;
            using (Autograd.PooledMemory())
            {
                pooledLoss = TrainStep(pooledModel, pooledAdam, loss, x, y);
            }

            Assert.Equal(plainLoss, pooledLoss);
        }

        IReadOnlyList<Tensor<float>> plain = plainModel.Parameters();
        IReadOnlyList<Tensor<float>> pooled = pooledModel.Parameters();
        Assert.Equal(plain.Count, pooled.Count);
        for (int i = 0; i < plain.Count; i++)
        {
            Assert.Equal(plain[i].ToArray(), pooled[i].ToArray());
            Assert.Equal(plain[i].Grad!.ToArray(), pooled[i].Grad!.ToArray());
        }

        // The parameters did move: the comparison is not between two untouched models.
        (Mlp untouched, _) = CreateModel(hidden: 16);
        Assert.NotEqual(untouched.Parameters()[0].ToArray(), pooled[0].ToArray());
    }

    [Fact]
    public void AWarmTrainingStepInsideTheScopeAllocatesAtMostThreeKilobytes()
    {
        // Issue #8's configuration: Mlp(20, [64, 64], 1), Adam, MSE, a [256, 20] batch; the target is 4 KB. The step
        // measures 872 B here, as BenchmarkDotNet's EngineAdamStepPooled does (docs/benchmarks.md, and the README's
        // figure): the tensor objects, graph nodes and shape arrays of one step, no data arrays.
        (Mlp model, AdamOptimizer adam) = CreateModel(hidden: 64, inputs: 20);
        (Tensor<float> x, Tensor<float> y) = CreateBatch(rows: 256, seed: 5, inputs: 20);
        var loss = new MeanSquaredErrorLoss();
        for (int warm = 0; warm < 3; warm++)
        {
            using (Autograd.PooledMemory())
            {
                TrainStep(model, adam, loss, x, y);
            }
        }

        // The least of several rounds: scratch buffers come from ArrayPool<T>.Shared, which other tests running in
        // parallel can drain, and a miss then allocates on this thread; a round without such a miss shows the step's own bytes.
        const int Steps = 20;
        long perStep = long.MaxValue;
        for (int round = 0; round < 5; round++)
        {
            long start = GC.GetAllocatedBytesForCurrentThread();
            for (int step = 0; step < Steps; step++)
            {
                using (Autograd.PooledMemory())
                {
                    TrainStep(model, adam, loss, x, y);
                }
            }

            perStep = Math.Min(perStep, (GC.GetAllocatedBytesForCurrentThread() - start) / Steps);
        }

        Assert.InRange(perStep, 0, 3 * 1024);

        // Without the scope the outputs are allocated: the same step allocates over 100 KB (two 64 KB hidden
        // activations, among others), so the bound above can fail.
        long before = GC.GetAllocatedBytesForCurrentThread();
        TrainStep(model, adam, loss, x, y);
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before > 100 * 1024);
    }

    private static float TrainStep(Mlp model, AdamOptimizer adam, MeanSquaredErrorLoss loss, Tensor<float> x, Tensor<float> y)
    {
        Tensor<float> value = loss.Compute(model.Forward(x), y);
        value.Backward();
        adam.Step();
        adam.ZeroGrad();
        return value.Item();
    }

    private static (Mlp Model, AdamOptimizer Adam) CreateModel(int hidden, int inputs = 6, float dropout = 0f)
    {
        var model = new Mlp(inputs, [hidden, hidden], 1, dropout: dropout, seed: 11);
        return (model, new AdamOptimizer(model.Parameters(), learningRate: 1e-2f));
    }

    private static (Tensor<float> X, Tensor<float> Y) CreateBatch(int rows, int seed, int inputs = 6)
    {
        var random = new Random(seed);
        var x = new float[rows * inputs];
        var y = new float[rows];
        for (int i = 0; i < rows; i++)
        {
            double sum = 0;
            for (int j = 0; j < inputs; j++)
            {
                float value = (float)((random.NextDouble() * 2) - 1);
                x[(i * inputs) + j] = value;
                sum += value * (j + 1);
            }

            y[i] = (float)Math.Sin(sum);
        }

        return (Tensor.From<float>(x, [rows, inputs]), Tensor.From<float>(y));
    }
}
