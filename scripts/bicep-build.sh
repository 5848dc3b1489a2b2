#!/usr/bin/env bash
# Build and lint the Azure infrastructure (infra/*.bicep).
#
#   bash scripts/bicep-build.sh
#
# 1. Restores the Bicep CLI from the NuGet package Azure.Bicep.CommandLine.linux-x64
#    with `dotnet restore` of a throwaway project in .cache/bicep/ into NuGet's global
#    packages folder (cached: a second run finds the binary there and skips the restore,
#    and other clones of the repo on the same machine share it).
# 2. `bicep lint` on every .bicep file under infra/: any error fails, and any warning
#    fails too (bicepconfig.json raises the linter rules to `error`; compiler warnings
#    such as BCP081 are caught by the output check below).
# 3. `bicep build infra/main.bicep --outfile infra/build/main.json` (the ARM template
#    that tests/infra/arm-template.test.ts checks).
#
# Environment overrides:
#   BICEP_VERSION    NuGet package version (default below)
#   BICEP_CACHE_DIR  where the throwaway restore project lives (default .cache/bicep)
#   NUGET_PACKAGES   NuGet's global packages folder (default ~/.nuget/packages)
#   BICEP_BUILD_DIR  where main.json goes (default infra/build)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BICEP_VERSION="${BICEP_VERSION:-0.49.2}"
CACHE_DIR="${BICEP_CACHE_DIR:-$ROOT/.cache/bicep}"
BUILD_DIR="${BICEP_BUILD_DIR:-$ROOT/infra/build}"
PKG_ID="Azure.Bicep.CommandLine.linux-x64"
PKG_ID_LOWER="$(printf '%s' "$PKG_ID" | tr '[:upper:]' '[:lower:]')"
PACKAGES_DIR="${NUGET_PACKAGES:-$HOME/.nuget/packages}"
PKG_DIR="$PACKAGES_DIR/$PKG_ID_LOWER/$BICEP_VERSION"

export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1

log() { printf '[bicep-build] %s\n' "$*" >&2; }

find_bicep() {
  # The package ships the self-contained single-file CLI; its folder has moved between
  # releases (tools/, runtimes/linux-x64/native/ ...), so search rather than hard-code.
  # NuGet writes .nupkg.metadata last: without it the extraction is incomplete.
  [ -f "$PKG_DIR/.nupkg.metadata" ] || return 1
  find "$PKG_DIR" -type f -name bicep 2>/dev/null | head -n 1
}

BICEP="$(find_bicep || true)"
if [ -z "$BICEP" ]; then
  command -v dotnet >/dev/null || { log "dotnet not found on PATH: it is needed to restore the Bicep CLI"; exit 1; }
  log "restoring $PKG_ID $BICEP_VERSION into $PACKAGES_DIR"
  PROJ_DIR="$CACHE_DIR/restore"
  mkdir -p "$PROJ_DIR"
  # PackageDownload fetches the package without referencing it, so the TFM is irrelevant;
  # use whatever SDK is installed.
  TFM="net$(dotnet --version | cut -d. -f1,2)"
  cat >"$PROJ_DIR/bicep-restore.csproj" <<EOF
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>$TFM</TargetFramework>
    <IsPackable>false</IsPackable>
    <DisableImplicitNuGetFallbackFolder>true</DisableImplicitNuGetFallbackFolder>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$PKG_ID" Version="[$BICEP_VERSION]" />
  </ItemGroup>
</Project>
EOF
  dotnet restore "$PROJ_DIR/bicep-restore.csproj" --packages "$PACKAGES_DIR" --nologo -v quiet >&2
  BICEP="$(find_bicep || true)"
  [ -n "$BICEP" ] || { log "restore finished but no 'bicep' binary under $PKG_DIR"; exit 1; }
fi
# NuGet extraction does not keep the executable bit.
[ -x "$BICEP" ] || chmod +x "$BICEP"
log "using $("$BICEP" --version 2>/dev/null | head -n 1) ($BICEP)"

cd "$ROOT"
CONFIG="$ROOT/bicepconfig.json"
[ -f "$CONFIG" ] || { log "missing $CONFIG"; exit 1; }
mapfile -t FILES < <(find infra -name '*.bicep' -not -path 'infra/build/*' | LC_ALL=C sort)
[ "${#FILES[@]}" -gt 0 ] || { log "no .bicep files under infra/"; exit 1; }

OUT="$(mktemp)"
trap 'rm -f "$OUT"' EXIT

# `bicep lint` reports compiler and linter diagnostics but exits non-zero on errors only,
# so warnings (e.g. BCP081 unknown API version, or a rule someone set back to warning)
# are failed here too. One CLI process lints every file (--pattern): much faster than one
# process per file. --config pins the repo-root bicepconfig.json so a stray nested config
# cannot relax the rules; --no-restore because infra/ must not use registry modules.
status=0
"$BICEP" lint --pattern 'infra/**/*.bicep' --config "$CONFIG" --no-restore >"$OUT" 2>&1 || status=1
if grep -Eq ': (Error|Warning) ' "$OUT"; then status=1; fi
if [ "$status" -ne 0 ]; then
  cat "$OUT" >&2
  log "lint FAILED (fix the diagnostics above, or turn the rule off in bicepconfig.json with a _justification and say why in docs/infrastructure.md)"
  exit 1
fi
log "lint ok: ${#FILES[@]} file(s): ${FILES[*]}"

mkdir -p "$BUILD_DIR"
status=0
"$BICEP" build infra/main.bicep --outfile "$BUILD_DIR/main.json" --config "$CONFIG" --no-restore >"$OUT" 2>&1 || status=1
if [ "$status" -ne 0 ] || grep -Eq ': (Error|Warning) ' "$OUT"; then
  cat "$OUT" >&2
  log "build FAILED"
  exit 1
fi
log "built ${BUILD_DIR#"$ROOT"/}/main.json"
