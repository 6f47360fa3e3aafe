Console.WriteLine("mk");
