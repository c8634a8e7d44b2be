using System.Text.RegularExpressions;
using Arbiter.Mcp;
using Microsoft.Data.Sqlite;

namespace Arbiter.Samples.HrServer;

/// <summary>
/// The employees table (SQLite, in memory, created and filled at start) and the queries the tools run. Row filters
/// from Arbiter are applied as parameterised predicates, each parsed from <c>column op 'literal'</c> over known
/// columns; a filter outside that grammar is refused rather than guessed at.
/// </summary>
public sealed partial class EmployeeDirectory : IDisposable
{
    private static readonly HashSet<string> Columns = new(StringComparer.Ordinal) { "id", "name", "department", "grade", "employment_status", "region", "salary" };
    private static readonly HashSet<string> Operators = new(StringComparer.Ordinal) { "=", "!=", "<", "<=", ">", ">=" };
    private readonly string _connectionString = $"Data Source=file:hr-{Guid.NewGuid():n}?mode=memory&cache=shared";
    private readonly SqliteConnection _keepAlive;

    public EmployeeDirectory()
    {
        // The in-memory database lives as long as one connection is open.
        _keepAlive = new SqliteConnection(_connectionString);
        _keepAlive.Open();
        using var command = _keepAlive.CreateCommand();
        command.CommandText = """
            CREATE TABLE employees (id TEXT PRIMARY KEY, name TEXT NOT NULL, department TEXT NOT NULL, grade TEXT NOT NULL,
                                    employment_status TEXT NOT NULL, region TEXT NOT NULL, salary INTEGER NOT NULL, national_id TEXT NOT NULL);
            INSERT INTO employees VALUES
              ('E-1001', 'Dana Scott',  'Engineering', 'B2', 'active',     'EU', 85000,  'AB123456C'),
              ('E-1002', 'Liam Chen',   'Sales',       'B1', 'active',     'EU', 62000,  'CD234567E'),
              ('E-1003', 'Priya Patel', 'Finance',     'C1', 'terminated', 'US', 71000,  'EF345678G'),
              ('E-1004', 'Morgan Reed', 'Executive',   'E2', 'active',     'US', 240000, 'GH456789I'),
              ('E-1005', 'Noor Haddad', 'HR',          'C2', 'active',     'EU', 78000,  'IJ567890K');
            """;
        command.ExecuteNonQuery();
    }

    public sealed record Employee(string Id, string Name, string Department, string Grade, string EmploymentStatus, string Region, long Salary, string NationalId);

    /// <summary>Employees whose name contains <paramref name="name"/> (all when empty), restricted by every row filter.</summary>
    public IReadOnlyList<Employee> Find(string? name, IReadOnlyList<RowFilter> filters)
    {
        using var connection = new SqliteConnection(_connectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        var where = new List<string> { "name LIKE $name ESCAPE '\\'" };
        command.Parameters.AddWithValue("$name", "%" + (name ?? "").Replace("\\", "\\\\", StringComparison.Ordinal).Replace("%", "\\%", StringComparison.Ordinal).Replace("_", "\\_", StringComparison.Ordinal) + "%");
        for (var i = 0; i < filters.Count; i++)
        {
            var match = Predicate().Match(filters[i].Filter);
            if (!match.Success || !Columns.Contains(match.Groups["column"].Value) || !Operators.Contains(match.Groups["op"].Value))
                throw new UnsupportedRowFilterException(filters[i]);
            where.Add($"{match.Groups["column"].Value} {match.Groups["op"].Value} $f{i}");
            command.Parameters.AddWithValue($"$f{i}", match.Groups["value"].Value.Replace("''", "'", StringComparison.Ordinal));
        }
        command.CommandText = $"SELECT id, name, department, grade, employment_status, region, salary, national_id FROM employees WHERE {string.Join(" AND ", where)} ORDER BY id LIMIT 50";
        using var reader = command.ExecuteReader();
        var employees = new List<Employee>();
        while (reader.Read())
            employees.Add(new Employee(reader.GetString(0), reader.GetString(1), reader.GetString(2), reader.GetString(3), reader.GetString(4), reader.GetString(5), reader.GetInt64(6), reader.GetString(7)));
        return employees;
    }

    /// <summary>Runs one read-only SELECT (the restricted sql-query tool), at most 100 rows.</summary>
    public IReadOnlyList<Dictionary<string, object?>> Query(string sql)
    {
        if (!sql.TrimStart().StartsWith("SELECT", StringComparison.OrdinalIgnoreCase) || sql.Contains(';', StringComparison.Ordinal))
            throw new ArgumentException("only a single SELECT statement is allowed", nameof(sql));
        using var connection = new SqliteConnection(_connectionString + ";Mode=ReadOnly");
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        using var reader = command.ExecuteReader();
        var rows = new List<Dictionary<string, object?>>();
        while (rows.Count < 100 && reader.Read())
        {
            var row = new Dictionary<string, object?>(StringComparer.Ordinal);
            for (var c = 0; c < reader.FieldCount; c++)
                row[reader.GetName(c)] = reader.IsDBNull(c) ? null : reader.GetValue(c);
            rows.Add(row);
        }
        return rows;
    }

    public void Dispose() => _keepAlive.Dispose();

    [GeneratedRegex(@"^\s*(?<column>[a-z_]+)\s*(?<op>!=|<=|>=|=|<|>)\s*'(?<value>(?:[^']|'')*)'\s*$")]
    private static partial Regex Predicate();
}
