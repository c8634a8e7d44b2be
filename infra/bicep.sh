#!/usr/bin/env bash
# Prints the path of the Bicep CLI, restoring it from NuGet (Azure.Bicep.CommandLine.linux-x64) into
# .tools/ on first use. Idempotent: when the binary is already there it only prints the path.
#   infra/bicep.sh                 -> /…/.tools/nuget/azure.bicep.commandline.linux-x64/<v>/tools/bicep
#   "$(infra/bicep.sh)" build bicep/main.bicep --stdout
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
version="${BICEP_VERSION:-0.49.2}"
bicep="$root/.tools/nuget/azure.bicep.commandline.linux-x64/$version/tools/bicep"

if [[ ! -x "$bicep" ]]; then
  # Restore output goes to stderr so stdout stays just the path.
  dotnet restore "$root/infra/tools/bicep/BicepCli.csproj" -p:BicepVersion="$version" --nologo -v q >&2
  [[ -f "$bicep" ]] || { echo "bicep.sh: restore finished but $bicep is missing" >&2; exit 1; }
  chmod +x "$bicep" # NuGet extraction does not keep the executable bit.
fi
echo "$bicep"
