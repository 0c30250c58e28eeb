using System.Globalization;
using System.Text;

namespace Wafer.Models.ChatTemplates;

/// <summary>C/Python <c>strftime</c> formatting in the C locale, for <c>strftime_now(fmt)</c>.</summary>
internal static class Strftime
{
    public static string Format(DateTimeOffset time, string format)
    {
        var builder = new StringBuilder();
        var invariant = CultureInfo.InvariantCulture;
        for (var i = 0; i < format.Length; i++)
        {
            if (format[i] != '%' || i + 1 >= format.Length)
            {
                builder.Append(format[i]);
                continue;
            }

            var code = format[++i];

            // glibc's "%-d" drops the zero padding.
            var unpadded = code == '-' && i + 1 < format.Length;
            if (unpadded)
            {
                code = format[++i];
            }

            string Pad(int value) => unpadded ? value.ToString(invariant) : value.ToString("00", invariant);
            builder.Append(code switch
            {
                'Y' => time.Year.ToString(invariant),
                'y' => Pad(time.Year % 100),
                'm' => Pad(time.Month),
                'd' => Pad(time.Day),
                'e' => time.Day.ToString(invariant).PadLeft(2),
                'H' => Pad(time.Hour),
                'I' => Pad(time.Hour % 12 == 0 ? 12 : time.Hour % 12),
                'M' => Pad(time.Minute),
                'S' => Pad(time.Second),
                'p' => time.Hour < 12 ? "AM" : "PM",
                'B' => invariant.DateTimeFormat.GetMonthName(time.Month),
                'b' or 'h' => invariant.DateTimeFormat.GetAbbreviatedMonthName(time.Month),
                'A' => invariant.DateTimeFormat.GetDayName(time.DayOfWeek),
                'a' => invariant.DateTimeFormat.GetAbbreviatedDayName(time.DayOfWeek),
                'j' => time.DayOfYear.ToString(unpadded ? "0" : "000", invariant),
                'w' => ((int)time.DayOfWeek).ToString(invariant),
                'F' => time.ToString("yyyy-MM-dd", invariant),
                'T' => time.ToString("HH:mm:ss", invariant),
                'Z' => "UTC",
                'z' => "+0000",
                '%' => "%",
                _ => "%" + code,
            });
        }

        return builder.ToString();
    }
}
