namespace GdTrainer.MLNet;

using GdTrainer.Training;
using Microsoft.ML;
using Microsoft.ML.Data;

/// <summary>
/// The training columns of an <see cref="IDataView"/> as rows read again on every pass (a new cursor each time), for a
/// <see cref="StreamingTrainingSource"/>. It leaves out the rows <see cref="DataViewReader"/>'s first pass counted as unusable (a
/// NaN or infinite label or feature, an example weight that is not positive and finite), with the same checks; a sparse vector
/// is read densely, its implicit entries as zeros. The data view must give the same rows in the same order on every cursor.
/// </summary>
internal sealed class DataViewRowStream : IRowStream
{
    private readonly IDataView _data;
    private readonly DataViewSchema.Column _featureColumn;
    private readonly DataViewSchema.Column _labelColumn;
    private readonly DataViewSchema.Column? _weightColumn;
    private readonly Func<DataViewRow, DataViewSchema.Column, ValueGetter<float>>? _labelReader;

    /// <param name="data">The data view.</param>
    /// <param name="featureColumn">The feature column (a known-size vector of Single, or a Single).</param>
    /// <param name="featureCount">Its number of slots.</param>
    /// <param name="labelColumn">The label column.</param>
    /// <param name="weightColumn">The example-weight column, or null.</param>
    /// <param name="labelReader">The task's label getter, or null to read a Single label.</param>
    /// <param name="description">What the rows are, for messages.</param>
    internal DataViewRowStream(
        IDataView data, DataViewSchema.Column featureColumn, int featureCount, DataViewSchema.Column labelColumn, DataViewSchema.Column? weightColumn,
        Func<DataViewRow, DataViewSchema.Column, ValueGetter<float>>? labelReader, string description)
    {
        _data = data;
        _featureColumn = featureColumn;
        _labelColumn = labelColumn;
        _weightColumn = weightColumn;
        _labelReader = labelReader;
        FeatureCount = featureCount;
        Description = description;
    }

    public int FeatureCount { get; }

    public bool HasWeights => _weightColumn is not null;

    public string Description { get; }

    public IRowReader Open() => new Reader(this);

    /// <summary>A cursor over the training columns and the getters of one pass.</summary>
    private sealed class Reader : IRowReader
    {
        private readonly DataViewRowCursor _cursor;
        private readonly ValueGetter<VBuffer<float>>? _vectorGetter;
        private readonly ValueGetter<float>? _scalarGetter;
        private readonly ValueGetter<float> _labelGetter;
        private readonly ValueGetter<float>? _weightGetter;
        private VBuffer<float> _vector;

        internal Reader(DataViewRowStream stream)
        {
            var columns = new List<DataViewSchema.Column> { stream._featureColumn, stream._labelColumn };
            if (stream._weightColumn is { } weight)
            {
                columns.Add(weight);
            }

            _cursor = stream._data.GetRowCursor(columns);
            bool scalar = stream._featureColumn.Type is not VectorDataViewType;
            _vectorGetter = scalar ? null : _cursor.GetGetter<VBuffer<float>>(stream._featureColumn);
            _scalarGetter = scalar ? _cursor.GetGetter<float>(stream._featureColumn) : null;
            _labelGetter = stream._labelReader?.Invoke(_cursor, stream._labelColumn) ?? _cursor.GetGetter<float>(stream._labelColumn);
            _weightGetter = stream._weightColumn is { } w ? _cursor.GetGetter<float>(w) : null;
        }

        public bool Next(Span<float> features, out float label, out float weight)
        {
            label = 0f;
            weight = 1f;
            while (_cursor.MoveNext())
            {
                _labelGetter(ref label);
                _weightGetter?.Invoke(ref weight);
                if (!float.IsFinite(label) || !float.IsFinite(weight) || weight <= 0f)
                {
                    continue;
                }

                if (_scalarGetter is not null)
                {
                    float value = 0f;
                    _scalarGetter(ref value);
                    features[0] = value;
                }
                else
                {
                    _vectorGetter!(ref _vector);
                    _vector.CopyTo(features); // Writes zeros for the implicit entries of a sparse vector.
                }

                if (System.Numerics.Tensors.TensorPrimitives.IsFiniteAll<float>(features))
                {
                    return true;
                }
            }

            return false;
        }

        public void Dispose() => _cursor.Dispose();
    }
}
