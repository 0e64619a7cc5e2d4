// Json.cs: a small JSON reader and string writer for the binding (the library speaks JSON across the ABI).
//
// Hand-written on purpose: netstandard2.0 under Unity/Mono has no System.Text.Json, and Unity's JsonUtility
// cannot read dictionaries, nulls or heterogeneous arrays. This is the one place in the bindings where
// hand-written parsing is accepted; it follows RFC 8259 strictly.

using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Bilibili.QrLogin
{
    /// <summary>
    /// A small JSON reader and string writer. Hand-written on purpose: netstandard2.0 under Unity/Mono has no
    /// System.Text.Json, and Unity's JsonUtility cannot read dictionaries, nulls or heterogeneous arrays. This is
    /// the one place in the bindings where hand-written parsing is accepted; it follows RFC 8259 strictly.
    /// Values: Dictionary&lt;string, object&gt;, List&lt;object&gt;, string, long (integers that fit), double
    /// (other numbers), bool, null.
    /// </summary>
    public static class BiliQrJson
    {
        const int MaxDepth = 128;

        // The two-character escapes of RFC 8259: the letter after the backslash (Escapes) and the character it
        // stands for (Unescaped), at the same index. \u escapes are handled apart.
        const string Escapes = "/\"\\bfnrt";
        const string Unescaped = "/\"\\\b\f\n\r\t";

        /// <summary>Parses one JSON value (surrounding whitespace allowed); throws FormatException when malformed.</summary>
        public static object Parse(string json)
        {
            if (json == null) throw new FormatException("no JSON text (null)");
            var r = new Reader(json);
            r.SkipWs();
            object v = r.ReadValue(0);
            r.SkipWs();
            if (r.Pos != json.Length) throw r.Fail("unexpected text after the value");
            return v;
        }

        /// <summary>Appends s as a JSON string literal (quotes, backslashes and control characters escaped).</summary>
        public static void WriteString(StringBuilder sb, string s)
        {
            sb.Append('"');
            foreach (char c in s)
            {
                int e = Unescaped.IndexOf(c);
                if (e >= 1) // the two-character escapes ('/' is written as is)
                    sb.Append('\\').Append(Escapes[e]);
                else if (c < 0x20 || c == '\u2028' || c == '\u2029' || c == '\u007f')
                    sb.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
                else
                    sb.Append(c); // other non-ASCII goes as UTF-8 (lone surrogates are refused at marshalling)
            }
            sb.Append('"');
        }

        /// <summary>s as a JSON string literal.</summary>
        public static string Quote(string s)
        {
            var sb = new StringBuilder(s.Length + 2);
            WriteString(sb, s);
            return sb.ToString();
        }

        sealed class Reader
        {
            readonly string _s;
            public int Pos;

            public Reader(string s) { _s = s; }

            public FormatException Fail(string what)
            {
                return new FormatException("JSON: " + what + " at offset " + Pos.ToString(CultureInfo.InvariantCulture));
            }

            public void SkipWs()
            {
                while (Pos < _s.Length)
                {
                    char c = _s[Pos];
                    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') Pos++;
                    else break;
                }
            }

            public object ReadValue(int depth)
            {
                if (depth > MaxDepth) throw Fail("nesting too deep");
                if (Pos >= _s.Length) throw Fail("unexpected end");
                char c = _s[Pos];
                switch (c)
                {
                    case '{': return ReadObject(depth);
                    case '[': return ReadArray(depth);
                    case '"': return ReadString();
                    case 't': Literal("true"); return true;
                    case 'f': Literal("false"); return false;
                    case 'n': Literal("null"); return null;
                    default:
                        if (c == '-' || (c >= '0' && c <= '9')) return ReadNumber();
                        throw Fail("unexpected character '" + c + "'");
                }
            }

            void Literal(string word)
            {
                if (string.CompareOrdinal(_s, Pos, word, 0, word.Length) != 0) throw Fail("invalid literal");
                Pos += word.Length;
            }

            Dictionary<string, object> ReadObject(int depth)
            {
                var d = new Dictionary<string, object>(StringComparer.Ordinal);
                Pos++; // {
                SkipWs();
                if (Pos < _s.Length && _s[Pos] == '}') { Pos++; return d; }
                while (true)
                {
                    SkipWs();
                    if (Pos >= _s.Length || _s[Pos] != '"') throw Fail("expected a string key");
                    string key = ReadString();
                    SkipWs();
                    if (Pos >= _s.Length || _s[Pos] != ':') throw Fail("expected ':'");
                    Pos++;
                    SkipWs();
                    d[key] = ReadValue(depth + 1); // a repeated key: the last one wins
                    SkipWs();
                    if (Pos >= _s.Length) throw Fail("unterminated object");
                    char c = _s[Pos++];
                    if (c == '}') return d;
                    if (c != ',') { Pos--; throw Fail("expected ',' or '}'"); }
                }
            }

            List<object> ReadArray(int depth)
            {
                var a = new List<object>();
                Pos++; // [
                SkipWs();
                if (Pos < _s.Length && _s[Pos] == ']') { Pos++; return a; }
                while (true)
                {
                    SkipWs();
                    a.Add(ReadValue(depth + 1));
                    SkipWs();
                    if (Pos >= _s.Length) throw Fail("unterminated array");
                    char c = _s[Pos++];
                    if (c == ']') return a;
                    if (c != ',') { Pos--; throw Fail("expected ',' or ']'"); }
                }
            }

            string ReadString()
            {
                Pos++; // opening quote
                var sb = new StringBuilder();
                while (true)
                {
                    if (Pos >= _s.Length) throw Fail("unterminated string");
                    char c = _s[Pos++];
                    if (c == '"') return sb.ToString();
                    if (c < 0x20) { Pos--; throw Fail("control character in a string"); }
                    if (c != '\\') { sb.Append(c); continue; }
                    if (Pos >= _s.Length) throw Fail("unterminated escape");
                    char e = _s[Pos++];
                    int k = Escapes.IndexOf(e);
                    if (k >= 0) sb.Append(Unescaped[k]);
                    // A surrogate pair arrives as two escapes (\ud83c\udfae); both halves are appended, which
                    // forms the pair in UTF-16. A lone half is kept as is, like most readers do.
                    else if (e == 'u') sb.Append(ReadHex4());
                    else { Pos--; throw Fail("invalid escape"); }
                }
            }

            char ReadHex4()
            {
                if (Pos + 4 > _s.Length) throw Fail("truncated \\u escape");
                int v = 0;
                for (int i = 0; i < 4; i++)
                {
                    char h = _s[Pos++];
                    int d;
                    if (h >= '0' && h <= '9') d = h - '0';
                    else if (h >= 'a' && h <= 'f') d = h - 'a' + 10;
                    else if (h >= 'A' && h <= 'F') d = h - 'A' + 10;
                    else { Pos--; throw Fail("invalid hex digit in \\u escape"); }
                    v = v * 16 + d;
                }
                return (char)v;
            }

            object ReadNumber()
            {
                int start = Pos;
                bool integer = true;
                if (_s[Pos] == '-') Pos++;
                if (Pos >= _s.Length) throw Fail("truncated number");
                if (_s[Pos] == '0') Pos++;
                else if (_s[Pos] >= '1' && _s[Pos] <= '9') { while (Pos < _s.Length && IsDigit(_s[Pos])) Pos++; }
                else throw Fail("invalid number");
                if (Pos < _s.Length && _s[Pos] == '.')
                {
                    integer = false;
                    Pos++;
                    if (Pos >= _s.Length || !IsDigit(_s[Pos])) throw Fail("digit expected after '.'");
                    while (Pos < _s.Length && IsDigit(_s[Pos])) Pos++;
                }
                if (Pos < _s.Length && (_s[Pos] == 'e' || _s[Pos] == 'E'))
                {
                    integer = false;
                    Pos++;
                    if (Pos < _s.Length && (_s[Pos] == '+' || _s[Pos] == '-')) Pos++;
                    if (Pos >= _s.Length || !IsDigit(_s[Pos])) throw Fail("digit expected in exponent");
                    while (Pos < _s.Length && IsDigit(_s[Pos])) Pos++;
                }
                string text = _s.Substring(start, Pos - start);
                long l;
                if (integer && long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out l)) return l;
                return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
            }

            static bool IsDigit(char c) { return c >= '0' && c <= '9'; }
        }
    }
}
