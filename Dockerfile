# syntax=docker/dockerfile:1
# wafer: one image for `wafer serve`, `wafer route` and `wafer pull` (deploy/kubernetes). Multi-stage: the SDK builds and
# publishes, the ASP.NET Core runtime image runs it as the non-root user those images define (app, uid 1654).
FROM mcr.microsoft.com/dotnet/sdk:10.0 AS build
WORKDIR /src
COPY . .
RUN dotnet publish src/Wafer.Cli/Wafer.Cli.csproj -c Release -o /app

FROM mcr.microsoft.com/dotnet/aspnet:10.0 AS runtime
WORKDIR /app
COPY --from=build /app .
ENV HF_HOME=/models/hf \
    DOTNET_gcServer=0
USER app
EXPOSE 8080
ENTRYPOINT ["dotnet", "/app/wafer.dll"]
CMD ["serve", "--host", "0.0.0.0", "--port", "8080"]
