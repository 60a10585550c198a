namespace GdTrainer.MLNet;

using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The model's outputs for the current row of one cursor (or mapped row), computed once per row however many output columns
/// are read, into a buffer this scorer owns: scoring a row allocates nothing, and each cursor has its own scorer, so cursors on
/// different threads never share a buffer. The row is recognised by its position (ML.NET rows and cursors advance it, the
/// prediction engine's input row included).
/// </summary>
internal sealed class RowScorer
{
    private readonly DataViewRow _input;
    private readonly GradientDescentModelParameters _model;
    private readonly ValueGetter<float>? _scalarGetter;
    private readonly ValueGetter<VBuffer<float>>? _vectorGetter;
    private readonly float[] _outputs;
    private readonly float[] _scalarRow = new float[1];
    private VBuffer<float> _features;
    private long _position = long.MinValue;

    internal RowScorer(DataViewRow input, DataViewSchema.Column featureColumn, GradientDescentModelParameters model)
    {
        _input = input;
        _model = model;
        _outputs = new float[model.OutputCount];
        if (featureColumn.Type is VectorDataViewType)
        {
            _vectorGetter = input.GetGetter<VBuffer<float>>(featureColumn);
        }
        else
        {
            _scalarGetter = input.GetGetter<float>(featureColumn);
        }
    }

    /// <summary>The model's outputs (logits for classification) for the current input row.</summary>
    internal ReadOnlySpan<float> Outputs
    {
        get
        {
            long position = _input.Position;
            if (position != _position)
            {
                Compute();
                _position = position;
            }

            return _outputs;
        }
    }

    private void Compute()
    {
        if (_scalarGetter is not null)
        {
            _scalarGetter(ref _scalarRow[0]);
            _model.Score(_scalarRow, _outputs);
            return;
        }

        _vectorGetter!(ref _features);
        ModelScoring.Score(_model, _features, _outputs);
    }
}
