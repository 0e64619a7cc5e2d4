/* TEST-ONLY shim for Wine 8: bcryptprimitives.dll with the one function Rust's standard library imports from it.
 *
 * Rust's standard library (1.78 and later) gets its random numbers on Windows from ProcessPrng in
 * bcryptprimitives.dll (Windows 10 and later; HashMap seeds use it). Wine 8.0, Debian bookworm's, has no
 * bcryptprimitives.dll at all, so any Rust program fails to load under it. This DLL provides ProcessPrng on
 * top of BCryptGenRandom (the system-preferred RNG, which Wine implements) so that tests/suites/75-windows.sh can
 * run bili_qr.dll and bili-qr.exe under Wine. Wine 9 has its own bcryptprimitives.dll.
 *
 * A gap of Wine, not of Windows: this file is never built into a shipped artifact (scripts/dist.sh does not
 * know it); on Windows the system's bcryptprimitives.dll is used.
 */
#include <windows.h>
#include <bcrypt.h>

/* BOOL WINAPI ProcessPrng(PBYTE pbData, SIZE_T cbData): fills the buffer; always TRUE on Windows. */
__declspec(dllexport) BOOL WINAPI ProcessPrng(PBYTE data, SIZE_T len) {
    while (len > 0) {
        ULONG chunk = len > 0x40000000u ? 0x40000000u : (ULONG)len;
        if (!BCRYPT_SUCCESS(BCryptGenRandom(NULL, data, chunk, BCRYPT_USE_SYSTEM_PREFERRED_RNG))) {
            return FALSE;
        }
        data += chunk;
        len -= chunk;
    }
    return TRUE;
}
