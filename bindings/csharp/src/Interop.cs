// Interop.cs: the one layer that talks to the native library (C ABI 2, and ABI 3's refresh; include/bili_qr.h).
//
// Rules this file keeps (the ABI's contract):
//  * every call is Cdecl; strings cross the boundary as NUL-terminated UTF-8, marshalled by hand in both
//    directions (never the runtime's ANSI/auto marshalling, which differs between Windows, Mono and IL2CPP);
//  * every call that can fail goes through its `_ex` variant, so the library's message comes back with the
//    result on whatever thread ran the call (a Task.Run worker, a WaitAsync thread); bili_qr_last_error, which
//    is per thread, is never needed;
//  * every string the library hands out (result and error message) is released with bili_qr_free in a finally
//    block, also when reading it throws; the managed copies of its bytes are zeroed (they may hold cookies);
//  * the library is loaded by the name "bili_qr" on every system (libbili_qr.so, libbili_qr.dylib,
//    bili_qr.dll), and its ABI version is checked once, at first use: older than RequiredAbi fails loudly.

using System;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;
using System.Threading;

namespace Bilibili.QrLogin
{
    internal static class Native
    {
        /// <summary>The ABI version this binding needs (the _ex variants and the session functions are ABI 2).</summary>
        internal const int RequiredAbi = 2;

#if UNITY_IOS && !UNITY_EDITOR
        // iOS links native plugins statically into the app: the symbols live in the executable itself.
        const string Lib = "__Internal";
#else
        // Mono, .NET and Unity map this one name to libbili_qr.so / libbili_qr.dylib / bili_qr.dll.
        const string Lib = "bili_qr";
#endif

        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_abi_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr bili_qr_version();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr bili_qr_status_str(int status);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern void bili_qr_free(IntPtr s);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_cancel(IntPtr ticket);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern IntPtr bili_qr_last_error();
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_start_ex(IntPtr optionsJson, out IntPtr outJson, out IntPtr outError);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_poll_ex(IntPtr ticket, IntPtr optionsJson, out IntPtr outJson, out IntPtr outError);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_wait_ex(IntPtr ticket, IntPtr optionsJson, ProgressFn onProgress, IntPtr userData, out IntPtr outJson, out IntPtr outError);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_render_ex(IntPtr text, IntPtr format, out IntPtr output, out IntPtr outError);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_check_ex(IntPtr session, IntPtr optionsJson, out IntPtr outJson, out IntPtr outError);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_logout_ex(IntPtr session, IntPtr optionsJson, out IntPtr outJson, out IntPtr outError);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_session_convert_ex(IntPtr session, IntPtr format, out IntPtr output, out IntPtr outError);
        // ABI 3 (bound on first call: an ABI 2 library still loads; RequireAbi guards the calls).
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_refresh_ex(IntPtr session, IntPtr optionsJson, out IntPtr outJson, out IntPtr outError);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_refresh_confirm_ex(IntPtr session, IntPtr optionsJson, out IntPtr outJson, out IntPtr outError);
        [DllImport(Lib, CallingConvention = CallingConvention.Cdecl)] internal static extern int bili_qr_session_save_ex(IntPtr path, IntPtr session, out IntPtr outError);

        static readonly object s_lock = new object();
        static bool s_loaded;
        static int s_abi;

        /// <summary>Loads the library and checks its ABI version, once; throws (every time) when it is unusable.</summary>
        internal static int EnsureLoaded()
        {
            if (Volatile.Read(ref s_loaded)) return s_abi;
            lock (s_lock)
            {
                if (s_loaded) return s_abi;
                int abi;
                try
                {
                    abi = bili_qr_abi_version();
                }
                catch (DllNotFoundException e)
                {
                    throw new DllNotFoundException(
                        "bili_qr: the native library 'bili_qr' (libbili_qr.so / libbili_qr.dylib / bili_qr.dll) was not found; " +
                        "put it next to the executable, on LD_LIBRARY_PATH, in runtimes/<rid>/native of the NuGet package, " +
                        "or in Assets/Plugins/<platform> in Unity", e);
                }
                catch (EntryPointNotFoundException e)
                {
                    throw new BiliQrException(BiliQrStatus.ErrInternal,
                        "bili_qr: the loaded native library has no bili_qr_abi_version; it is not bili_qr: replace it", e);
                }
                if (abi < RequiredAbi)
                {
                    throw new BiliQrException(BiliQrStatus.ErrInternal,
                        "bili_qr: the native library is too old: ABI " + abi.ToString(CultureInfo.InvariantCulture) +
                        ", this binding needs " + RequiredAbi.ToString(CultureInfo.InvariantCulture) +
                        " or newer: replace the native library (a stale copy in a plugins folder?)");
                }
                s_abi = abi;
                Volatile.Write(ref s_loaded, true);
                return abi;
            }
        }

        /// <summary>
        /// Throws unless the loaded library has at least ABI version abi (for a call that version added): an older
        /// library still serves every other call of this binding.
        /// </summary>
        internal static void RequireAbi(int abi, string call)
        {
            int have = EnsureLoaded();
            if (have < abi)
            {
                throw new BiliQrException(BiliQrStatus.ErrInternal,
                    "bili_qr: " + call + " needs a native library of ABI " + abi.ToString(CultureInfo.InvariantCulture) +
                    " or newer; the loaded one is ABI " + have.ToString(CultureInfo.InvariantCulture) + ": update the native library");
            }
        }

        internal static string Version() { EnsureLoaded(); return PtrToStringUtf8(bili_qr_version()) ?? ""; }

        internal static string StatusText(int status) { EnsureLoaded(); return PtrToStringUtf8(bili_qr_status_str(status)) ?? ""; }

        /// <summary>A call of an _ex function with its string arguments already marshalled.</summary>
        internal delegate int ExCall(IntPtr[] args, out IntPtr output, out IntPtr error);

        /// <summary>
        /// Marshals args to NUL-terminated UTF-8, calls, copies the out string and frees it (and the error message)
        /// with bili_qr_free. A status &lt; 0 throws BiliQrException with the message the call handed out.
        /// </summary>
        internal static string Call(ExCall call, string[] names, string[] args, out int status)
        {
            EnsureLoaded();
            var native = new NativeUtf8[args.Length];
            IntPtr output = IntPtr.Zero, error = IntPtr.Zero;
            try
            {
                var ptrs = new IntPtr[args.Length];
                for (int i = 0; i < args.Length; i++)
                {
                    native[i] = new NativeUtf8(args[i], names[i]);
                    ptrs[i] = native[i].Ptr;
                }
                status = call(ptrs, out output, out error);
                if (status < 0) throw Error(status, error);
                return PtrToStringUtf8(output);
            }
            finally
            {
                bili_qr_free(output);
                bili_qr_free(error);
                foreach (var n in native) if (n != null) n.Dispose();
            }
        }

        /// <summary>The exception for a status &lt; 0 and the error string an _ex call handed out (not freed here).</summary>
        internal static BiliQrException Error(int status, IntPtr error)
        {
            string msg = PtrToStringUtf8(error);
            if (string.IsNullOrEmpty(msg)) msg = "bili_qr: " + (PtrToStringUtf8(bili_qr_status_str(status)) ?? "error");
            return new BiliQrException((BiliQrStatus)status, msg);
        }

        /// <summary>Reads a NUL-terminated UTF-8 string (null for a null pointer). Does not free it.</summary>
        internal static string PtrToStringUtf8(IntPtr p)
        {
            if (p == IntPtr.Zero) return null;
            int len = 0;
            while (Marshal.ReadByte(p, len) != 0) len++;
            var bytes = new byte[len];
            Marshal.Copy(p, bytes, 0, len);
            try { return Encoding.UTF8.GetString(bytes); }
            finally { Array.Clear(bytes, 0, len); }
        }

        static readonly UTF8Encoding s_strictUtf8 = new UTF8Encoding(false, true);

        /// <summary>A copy of a managed string as NUL-terminated UTF-8 in unmanaged memory, zeroed on release.</summary>
        internal sealed class NativeUtf8 : IDisposable
        {
            public IntPtr Ptr;
            int _length;

            public NativeUtf8(string s, string what)
            {
                if (s == null) return;
                if (s.IndexOf('\0') >= 0)
                    throw new BiliQrException(BiliQrStatus.ErrArgument, "bili_qr: the " + what + " contains a NUL character");
                byte[] bytes;
                try { bytes = s_strictUtf8.GetBytes(s); }
                catch (EncoderFallbackException e)
                {
                    throw new BiliQrException(BiliQrStatus.ErrArgument, "bili_qr: the " + what + " is not valid Unicode (a lone surrogate)", e);
                }
                _length = bytes.Length + 1;
                Ptr = Marshal.AllocHGlobal(_length);
                Marshal.Copy(bytes, 0, Ptr, bytes.Length);
                Marshal.WriteByte(Ptr, bytes.Length, 0);
                Array.Clear(bytes, 0, bytes.Length);
            }

            public void Dispose()
            {
                if (Ptr == IntPtr.Zero) return;
                for (int i = 0; i < _length; i++) Marshal.WriteByte(Ptr, i, 0);
                Marshal.FreeHGlobal(Ptr);
                Ptr = IntPtr.Zero;
            }
        }
    }
}
