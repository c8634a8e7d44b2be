#!/usr/bin/env bash
# Grants Arbiter's user-assigned managed identity the Microsoft Graph application permissions the
# Entra ID sync needs. Azure role assignments cannot express Graph permissions, so this creates Graph
# app role assignments on the identity's service principal. Idempotent: existing grants are skipped.
#
#   bicep/grant-graph-permissions.sh --principal-id <identityPrincipalId output of the deployment>
#   bicep/grant-graph-permissions.sh --resource-group rg-arbiter-dev --identity-name id-arbiter-xxxx
#   bicep/grant-graph-permissions.sh            # inside an azd project: reads identityPrincipalId
#
# Options: --with-application-read-all  also grant Application.Read.All (broader; only if agent
#          identity reads fail in your tenant). --dry-run  print what would be granted.
# Needs: Azure CLI signed in (az login) as a Privileged Role Administrator or Global Administrator of
# the tenant (assigning Graph application permissions is an admin consent).
set -euo pipefail

# Read-only permissions: groups and their members (delta queries), users (member state, sponsors,
# owners) and agent identities (/servicePrincipals/microsoft.graph.agentIdentity).
permissions=(Group.Read.All GroupMember.Read.All User.Read.All AgentIdentity.Read.All)
graph_app_id="00000003-0000-0000-c000-000000000000" # Microsoft Graph's well-known appId
graph_url="${GRAPH_URL:-https://graph.microsoft.com}"

principal_id="" resource_group="" identity_name="" dry_run=false
while [[ $# -gt 0 ]]; do
  case "$1" in
    --principal-id) principal_id="$2"; shift 2 ;;
    --resource-group|-g) resource_group="$2"; shift 2 ;;
    --identity-name|-n) identity_name="$2"; shift 2 ;;
    --with-application-read-all) permissions+=(Application.Read.All); shift ;;
    --dry-run) dry_run=true; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "unknown option: $1 (see --help)" >&2; exit 2 ;;
  esac
done

if [[ -z "$principal_id" && -n "$resource_group" && -n "$identity_name" ]]; then
  principal_id=$(az identity show -g "$resource_group" -n "$identity_name" --query principalId -o tsv)
fi
if [[ -z "$principal_id" ]] && command -v azd >/dev/null 2>&1; then
  principal_id=$(azd env get-value identityPrincipalId 2>/dev/null || true)
fi
[[ -n "$principal_id" ]] || { echo "no identity given: pass --principal-id, or --resource-group and --identity-name" >&2; exit 2; }

graph_sp_id=$(az ad sp show --id "$graph_app_id" --query id -o tsv)
existing=$(az rest --method GET \
  --url "$graph_url/v1.0/servicePrincipals/$principal_id/appRoleAssignments?\$select=appRoleId,resourceId" \
  --query "value[?resourceId=='$graph_sp_id'].appRoleId" -o tsv)

# Index loop: the fallback below appends to the list while it is walked.
for ((i = 0; i < ${#permissions[@]}; i++)); do
  permission="${permissions[$i]}"
  role_id=$(az ad sp show --id "$graph_app_id" \
    --query "appRoles[?value=='$permission' && contains(allowedMemberTypes, 'Application')].id | [0]" -o tsv)
  if [[ -z "$role_id" ]]; then
    if [[ "$permission" == AgentIdentity.Read.All ]]; then
      # Tenants without Entra Agent ID do not publish this permission yet; Application.Read.All also
      # reads agent identities (they are service principals).
      echo "AgentIdentity.Read.All is not published in this tenant; granting Application.Read.All instead" >&2
      permissions+=(Application.Read.All)
      continue
    fi
    echo "Microsoft Graph has no application permission named $permission" >&2; exit 1
  fi
  if grep -qx "$role_id" <<<"$existing"; then
    echo "already granted: $permission"
    continue
  fi
  if $dry_run; then
    echo "would grant: $permission ($role_id)"
    continue
  fi
  az rest --method POST \
    --url "$graph_url/v1.0/servicePrincipals/$principal_id/appRoleAssignments" \
    --headers "Content-Type=application/json" \
    --body "{\"principalId\":\"$principal_id\",\"resourceId\":\"$graph_sp_id\",\"appRoleId\":\"$role_id\"}" \
    --output none
  existing+=$'\n'"$role_id"
  echo "granted: $permission"
done
