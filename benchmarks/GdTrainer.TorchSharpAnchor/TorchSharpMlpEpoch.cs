using GdTrainer.Benchmarks.MlpEpoch;
using TorchSharp;
using static TorchSharp.torch;

namespace GdTrainer.TorchSharpAnchor;

/// <summary>
/// The anchor: the same MLP epoch in TorchSharp (libtorch CPU), written as a TorchSharp user would:
/// <c>Sequential(Linear(20, h), ReLU, Linear(h, h), ReLU, Linear(h, 1))</c>, <c>optim.Adam(lr: 1e-3)</c>,
/// <c>MSELoss</c>, batches of 256 contiguous rows (slices of one tensor over the data) in a new random order
/// each epoch, and per step <c>zero_grad</c>, forward, loss, <c>backward</c>, <c>step</c> inside a dispose scope.
/// </summary>
internal sealed class TorchSharpMlpEpoch
{
    private const int BatchSize = EngineMlpEpoch.BatchSize;

    private readonly nn.Module<Tensor, Tensor> _model;
    private readonly optim.Optimizer _adam;
    private readonly nn.Module<Tensor, Tensor, Tensor> _loss = nn.MSELoss();
    private readonly Tensor _features;
    private readonly Tensor _labels;
    private readonly int[] _order;
    private readonly Random _shuffle;
    private readonly int _rows;

    public TorchSharpMlpEpoch(NonlinearRegressionData train, int hidden, int seed = 0)
    {
        torch.manual_seed(seed);
        int d = NonlinearRegressionData.FeatureCount;
        _model = nn.Sequential(
            ("0", nn.Linear(d, hidden)), ("1", nn.ReLU()), ("2", nn.Linear(hidden, hidden)), ("3", nn.ReLU()), ("4", nn.Linear(hidden, 1)));
        _adam = optim.Adam(_model.parameters(), lr: 1e-3);
        _rows = train.RowCount;
        _features = torch.tensor(train.Features, [_rows, d]);
        _labels = torch.tensor(train.Labels, [_rows, 1]);
        _order = new int[(_rows + BatchSize - 1) / BatchSize];
        for (int b = 0; b < _order.Length; b++)
        {
            _order[b] = b;
        }

        _shuffle = new Random(seed);
    }

    /// <summary>Runs one epoch; returns the mean of the batch losses.</summary>
    public double RunEpoch()
    {
        _shuffle.Shuffle(_order);
        double total = 0;
        _model.train();
        foreach (int b in _order)
        {
            int start = b * BatchSize;
            int size = Math.Min(BatchSize, _rows - start);
            using (NewDisposeScope())
            {
                _adam.zero_grad();
                Tensor x = _features.narrow(0, start, size);
                Tensor y = _labels.narrow(0, start, size);
                Tensor loss = _loss.call(_model.call(x), y);
                loss.backward();
                _adam.step();
                total += loss.item<float>();
            }
        }

        return total / _order.Length;
    }

    /// <summary>The root mean squared error on <paramref name="test"/>.</summary>
    public double Rmse(NonlinearRegressionData test)
    {
        _model.eval();
        using (NewDisposeScope())
        using (no_grad())
        {
            Tensor x = torch.tensor(test.Features, [test.RowCount, NonlinearRegressionData.FeatureCount]);
            Tensor y = torch.tensor(test.Labels, [test.RowCount, 1]);
            return Math.Sqrt(_loss.call(_model.call(x), y).item<float>());
        }
    }
}
