var builder = WebApplication.CreateBuilder(args);
var app = builder.Build();
app.Run();

/// <summary>Marks the API assembly for WebApplicationFactory.</summary>
public partial class Program;
